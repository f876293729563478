import {
  expectProblem,
  expectStatus,
  http,
  startSystem,
  strongPassword,
  uniqueEmail,
} from '@svt/shared/testing';
import type { HttpClient, SystemUnderTest } from '@svt/shared/testing';

let sut: SystemUnderTest;
let auth: HttpClient;

beforeAll(async () => {
  sut = await startSystem();
  auth = http(sut.auth);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

describe('request bodies the auth service refuses before reading them', () => {
  describe('when the JSON is malformed', () => {
    it('answers 400 malformed_json', async () => {
      const response = await auth.request({
        method: 'POST',
        path: '/auth/register',
        headers: { 'content-type': 'application/json' },
        body: '{"email": "a@example.test", "password":',
      });

      expectProblem(response, 400, 'malformed_json');
    });
  });

  describe('when the body is larger than 16384 bytes', () => {
    it('answers 413 payload_too_large without working on it', async () => {
      const skeleton = JSON.stringify({ email: uniqueEmail(), password: '' });
      const body = JSON.stringify({
        email: JSON.parse(skeleton).email,
        password: 'p'.repeat(16_385 - skeleton.length),
      });
      expect(Buffer.byteLength(body)).toBe(16_385);

      const response = await auth.request({
        method: 'POST',
        path: '/auth/register',
        headers: { 'content-type': 'application/json' },
        body,
      });

      expectProblem(response, 413, 'payload_too_large');
      // Refused before any handler ran: nothing was stored under that email.
      const retry = await auth.post('/auth/register', {
        email: JSON.parse(skeleton).email,
        password: 'a fine password',
      });
      expect(retry.status).toBe(201);
    });
  });

  describe('when the body is not JSON', () => {
    it('answers 415 unsupported_media_type for text/plain', async () => {
      const response = await auth.request({
        method: 'POST',
        path: '/auth/register',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({
          email: uniqueEmail(),
          password: strongPassword(),
        }),
      });

      expectProblem(response, 415, 'unsupported_media_type');
    });
  });
});

describe('an unknown route', () => {
  it.each([
    ['GET', '/auth/nope'],
    ['POST', '/nope'],
    ['GET', '/'],
  ])('%s %s answers 404 not_found', async (method, path) => {
    const response = await auth.request({ method, path });

    expectProblem(response, 404, 'not_found');
  });
});

describe('GET /health/*', () => {
  it.each(['/health/live', '/health/ready'])('%s answers 200', async (path) => {
    const response = await auth.get(path);

    expectStatus(response, 200);
  });
});
