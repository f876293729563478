module.exports = {
  displayName: 'shared-feature-sso',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/shared/feature-sso',
};
