export { problemHeaders, statusOf } from './lib/http-error-mapping';
export type { TokenScheme } from './lib/http-error-mapping';
export { ProblemFilter, sendProblem, toAppError, toProblem } from './lib/problem.filter';
export type { Problem } from './lib/problem.filter';
export { createValidationPipe } from './lib/validation';
export { createHttpApp, listen } from './lib/create-http-app';
export type { HttpAppOptions, Listening, ListenOptions } from './lib/create-http-app';
export { DrainState } from './lib/draining';
export { IS_PUBLIC, Public } from './lib/public.decorator';
export { HealthChecksModule, HealthController, READINESS_CHECKS } from './lib/health';
export type { ReadinessCheck } from './lib/health';
export { closeOnShutdown } from './lib/close-on-shutdown';
export type { Closeable } from './lib/close-on-shutdown';
export { failClosed } from './lib/fail-closed';
export { rateLimited } from './lib/rate-limited';
export { instrumentRequests } from './lib/metrics';
export { startMetricsServer } from './lib/metrics-server';
export type { MetricsServer } from './lib/metrics-server';
export {
  peerIsOneOf,
  REQUEST_ID_HEADER,
  requestIdGenerator,
  logRequests,
} from './lib/request-logging';
export { createLogger, logLevel } from './lib/logger';
export type { LogFormat, LoggerOptions } from './lib/logger';
export { NestLogger } from './lib/nest-logger';
export { pageCors } from './lib/page-cors';
export type { PageCorsOptions } from './lib/page-cors';
export { startService } from './lib/start-service';
export type { ServiceConfig, ServiceDefinition, StartServiceIo } from './lib/start-service';
export type { RequestIdSource } from './lib/request-logging';
export {
  ApiAuthenticated,
  ApiProblems,
  ApiTokenRequestProblems,
  AUTHENTICATED_PROBLEMS,
  BEARER_SCHEME,
  COOKIE_CHANGE_PROBLEMS,
  DPOP_SCHEME,
  problemResponses,
  SESSION_SCHEME,
  TOKEN_REQUEST_DPOP_PROBLEMS,
} from './lib/openapi-decorators';
export { createOpenApiDocument } from './lib/openapi-document';
export type { OpenApiOptions } from './lib/openapi-document';
export { setupOpenApi } from './lib/swagger-ui';
export { escapeHtml, htmlPage } from './lib/html-page';
export type { HtmlPage, HtmlPageOptions } from './lib/html-page';
