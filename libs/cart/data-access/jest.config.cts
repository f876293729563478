module.exports = {
  displayName: 'cart-data-access',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/cart/data-access',
};
