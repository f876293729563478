import { signedInPage, signedOutPage } from './cart-page';

const PATHS = { signIn: '/sso/login?return_to=/', signOut: '/sso/logout' };
const AUTH = 'http://auth.localhost:8081';

describe(signedInPage.name, () => {
  const page = signedInPage({ userId: 'user-1', csrfToken: 'csrf-1' }, PATHS, AUTH);

  it.each([
    'cart-user',
    'cart-items',
    'cart-signed-out',
    'cart-sign-in',
    'cart-sign-out',
    'cart-add',
  ])('has the element #%s the browser tests look for', (id) => {
    expect(page.body).toContain(`id="${id}"`);
  });

  it('shows the user id and puts the CSRF token in a meta and in the sign-out form', () => {
    expect(page.body).toContain('<code id="cart-user">user-1</code>');
    expect(page.body).toContain('<meta name="csrf-token" content="csrf-1">');
    expect(page.body).toContain('name="csrf_token" value="csrf-1"');
  });

  it('escapes what it shows', () => {
    const hostile = signedInPage({ userId: '<script>', csrfToken: '"x' }, PATHS, AUTH);
    expect(hostile.body).not.toContain('<script>');
    expect(hostile.body).toContain('&#60;script&#62;');
  });

  it('runs only its own script, may not be framed, and posts only here and to AUTH', () => {
    expect(page.body).toContain('<script src="/cart-page.js" defer></script>');
    expect(page.csp).toContain("script-src 'self'");
    expect(page.csp).toContain("connect-src 'self'");
    expect(page.csp).toContain("frame-ancestors 'none'");
    expect(page.csp).toContain(`form-action 'self' ${AUTH}`);
    expect(page.csp).not.toContain('unsafe-inline');
  });
});

describe(signedOutPage.name, () => {
  const page = signedOutPage(PATHS);

  it('offers a sign-in link and runs no script', () => {
    expect(page.body).toContain('id="cart-signed-out"');
    expect(page.body).toContain(
      '<a id="cart-sign-in" class="button" href="/sso/login?return_to=/">',
    );
    expect(page.body).not.toContain('<script');
    expect(page.csp).not.toContain('script-src');
  });
});
