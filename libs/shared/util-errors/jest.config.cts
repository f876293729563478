module.exports = {
  displayName: 'shared-util-errors',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/shared/util-errors',
};
