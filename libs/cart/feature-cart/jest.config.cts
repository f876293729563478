module.exports = {
  displayName: 'cart-feature-cart',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/cart/feature-cart',
};
