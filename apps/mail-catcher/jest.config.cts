module.exports = {
  displayName: 'mail-catcher',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/mail-catcher',
};
