module.exports = {
  displayName: 'shared-util-security',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/shared/util-security',
};
