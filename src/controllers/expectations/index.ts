export { Expectations, EXPECTATIONS_TIMEOUT_MS } from './expectations.ts';
