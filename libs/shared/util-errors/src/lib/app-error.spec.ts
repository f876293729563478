import { AppError } from './app-error';

describe(AppError.name, () => {
  it('defaults its detail to the title of its code', () => {
    expect(new AppError('not_found').detail).toBe('Not found');
  });

  it('names its code and detail in its message, for logs', () => {
    expect(new AppError('email_taken', 'taken').message).toBe('email_taken: taken');
  });

  it('keeps the failure underneath as its cause', () => {
    const cause = new Error('connection refused');
    expect(new AppError('store_unavailable', undefined, { cause }).cause).toBe(cause);
  });

  it('carries field errors and a retry delay only when given', () => {
    const plain = new AppError('csrf_failed');
    expect(plain.errors).toBeUndefined();
    expect(plain.retryAfterSeconds).toBeUndefined();
    const limited = new AppError('rate_limited', 'slow down', { retryAfterSeconds: 3 });
    expect(limited.retryAfterSeconds).toBe(3);
  });
});
