module.exports = {
  displayName: 'shared-feature-service-core',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/shared/feature-service-core',
};
