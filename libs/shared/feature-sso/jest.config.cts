module.exports = {
  displayName: 'shared-feature-sso',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/shared/feature-sso',
  // jose is ESM-only: transform it to CommonJS like the sources (the preset's SWC transform).
  transformIgnorePatterns: ['/node_modules/(?!(jose|openid-client|oauth4webapi)/)'],
};
