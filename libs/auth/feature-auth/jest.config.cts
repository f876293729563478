module.exports = {
  displayName: 'auth-feature-auth',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/auth/feature-auth',
};
