module.exports = {
  displayName: 'shared-data-access-sql',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/shared/data-access-sql',
};
