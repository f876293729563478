import {
  expectProblem,
  expectStatus,
  http,
  newCredentials,
  randomHex,
  registerUser,
  startSystem,
  strongPassword,
  uniqueEmail,
} from '@svt/shared/testing';
import type { HttpClient, ProblemBody, SystemUnderTest, UserBody } from '@svt/shared/testing';

let sut: SystemUnderTest;
let auth: HttpClient;

beforeAll(async () => {
  sut = await startSystem();
  auth = http(sut.auth);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

describe('POST /auth/register', () => {
  describe('with a new email and a valid password', () => {
    it('answers 201 with the id and the email trimmed and lower-cased', async () => {
      const local = `Alice-${randomHex(6)}`;
      const response = await auth.post<UserBody>('/auth/register', {
        email: `  ${local}@Example.TEST `,
        password: strongPassword(),
      });

      expectStatus(response, 201);
      expect(response.json).toEqual({
        id: expect.any(String),
        email: `${local.toLowerCase()}@example.test`,
        emailVerified: false,
      });
    });

    it('does not return the password or its hash', async () => {
      const credentials = newCredentials();
      const response = await auth.post('/auth/register', credentials);

      expectStatus(response, 201);
      expect(Object.keys(response.json ?? {}).sort()).toEqual(['email', 'emailVerified', 'id']);
      expect(response.text).not.toContain(credentials.password);
    });

    it.each([
      ['exactly 8 characters', 8],
      ['exactly 1024 characters', 1024],
    ])('accepts a password of %s', async (_label, length) => {
      const response = await auth.post('/auth/register', {
        email: uniqueEmail(),
        password: 'p'.repeat(length),
      });

      expectStatus(response, 201);
    });

    it('gives each user a different id', async () => {
      const first = await registerUser(auth);
      const second = await registerUser(auth);

      expect(first.id).not.toBe(second.id);
    });
  });

  describe('when the email is already registered', () => {
    it('answers 409 email_taken', async () => {
      const user = await registerUser(auth);

      const response = await auth.post('/auth/register', {
        email: user.email,
        password: strongPassword(),
      });

      expectProblem(response, 409, 'email_taken');
    });

    it('answers 409 email_taken for the same address in another case and with spaces', async () => {
      const user = await registerUser(auth);

      const response = await auth.post('/auth/register', {
        email: `  ${user.email.toUpperCase()}  `,
        password: strongPassword(),
      });

      expectProblem(response, 409, 'email_taken');
    });
  });

  describe('when the body does not satisfy the schema', () => {
    const password = 'a-valid-password';
    it.each<[string, Record<string, unknown>, string]>([
      ['the email has no @', { email: 'not-an-email', password }, 'email'],
      ['the email is empty', { email: '', password }, 'email'],
      ['the email is a number', { email: 42, password }, 'email'],
      ['the email is missing', { password }, 'email'],
      [
        'the password has 7 characters',
        { email: 'seven@example.test', password: '1234567' },
        'password',
      ],
      [
        'the password has 1025 characters',
        { email: 'long@example.test', password: 'p'.repeat(1025) },
        'password',
      ],
      ['the password is missing', { email: 'nopw@example.test' }, 'password'],
      [
        'the password is not a string',
        { email: 'num@example.test', password: 12345678 },
        'password',
      ],
      [
        'an extra field is sent',
        { email: 'extra@example.test', password, isAdmin: true },
        'isAdmin',
      ],
    ])('answers 400 validation_failed naming the field when %s', async (_label, body, field) => {
      const response = await auth.post('/auth/register', body);

      const problem = expectProblem(response, 400, 'validation_failed');
      expect(problem.errors).toEqual(
        expect.arrayContaining([{ field, message: expect.any(String) }]),
      );
    });

    it('does not echo the password back in the error', async () => {
      const secret = `s${randomHex(3)}`; // 7 characters: one too few
      const response = await auth.post<ProblemBody>('/auth/register', {
        email: 'x@example.test',
        password: secret,
      });

      expectProblem(response, 400, 'validation_failed');
      expect(response.text).not.toContain(secret);
    });

    it('answers 400 validation_failed when the body is a JSON array', async () => {
      const response = await auth.post('/auth/register', [{ email: uniqueEmail(), password }]);

      expectProblem(response, 400, 'validation_failed');
    });
  });
});
