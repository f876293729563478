module.exports = {
  displayName: 'shared-feature-authn',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/shared/feature-authn',
};
