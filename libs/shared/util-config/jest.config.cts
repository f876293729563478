module.exports = {
  displayName: 'shared-util-config',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/shared/util-config',
};
