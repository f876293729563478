module.exports = {
  displayName: 'shared-data-access-sessions',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/shared/data-access-sessions',
};
