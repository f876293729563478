module.exports = {
  displayName: 'nest-authn',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/nest-authn',
};
