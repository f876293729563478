export { CART_REPOSITORY, SqlCartRepository, cartMigrations } from './lib/carts.repository';
export type { Cart, CartItem, CartLimits, CartRepository } from './lib/carts.repository';
