import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryableStatus, parseResetDuration, parseRetryAfter } from '../../../lambdas/core/generation/retry.ts';

describe('retry', () => {
  describe('isRetryableStatus', () => {
    it('retries 408, 409, 429 and 5xx only', () => {
      expect([400, 401, 404, 408, 409, 422, 429, 500, 503].map(isRetryableStatus))
        .toEqual([false, false, false, true, true, false, true, true, true]);
    });
  });

  describe('backoffDelayMs', () => {
    it('doubles a ceiling per failure up to the maximum, with equal jitter', () => {
      const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
      expect(backoffDelayMs({ failures: 1, policy, random: () => 0 })).toBe(50);
      expect(backoffDelayMs({ failures: 1, policy, random: () => 0.999999 })).toBeCloseTo(100, 3);
      expect(backoffDelayMs({ failures: 3, policy, random: () => 0 })).toBe(200);
      expect(backoffDelayMs({ failures: 10, policy, random: () => 0.5 })).toBe(750);
    });

    it('waits at least the server retry-after, capped', () => {
      const policy = { ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: 5000 };
      expect(backoffDelayMs({ failures: 1, policy, random: () => 0, retryAfterMs: 2000 })).toBe(2000);
      expect(backoffDelayMs({ failures: 1, policy, random: () => 0.5, retryAfterMs: 2000 })).toBe(2100);
      expect(backoffDelayMs({ failures: 1, policy, random: () => 0, retryAfterMs: 60_000 })).toBe(5000);
    });
  });

  describe('parseRetryAfter', () => {
    const nowMs = Date.parse('2026-01-01T00:00:00Z');
    it('reads retry-after-ms, seconds and HTTP dates', () => {
      expect(parseRetryAfter({ retryAfterMs: '250', retryAfter: '9', nowMs })).toBe(250);
      expect(parseRetryAfter({ retryAfter: '1.5', nowMs })).toBe(1500);
      expect(parseRetryAfter({ retryAfter: 'Thu, 01 Jan 2026 00:00:07 GMT', nowMs })).toBe(7000);
    });

    it('ignores absent or unreadable values', () => {
      expect(parseRetryAfter({ nowMs })).toBeUndefined();
      expect(parseRetryAfter({ retryAfter: 'soon', nowMs })).toBeUndefined();
      expect(parseRetryAfter({ retryAfter: '-3', nowMs })).toBeUndefined();
    });
  });

  describe('parseResetDuration', () => {
    it('reads OpenAI reset durations in milliseconds and refuses anything else', () => {
      expect(parseResetDuration('20ms')).toBe(20);
      expect(parseResetDuration('1s')).toBe(1000);
      expect(parseResetDuration('6m0s')).toBe(360_000);
      expect(parseResetDuration('1h2m3.5s')).toBe(3_723_500);
      expect(parseResetDuration('2')).toBe(2000);
      expect(parseResetDuration('soon')).toBeUndefined();
      expect(parseResetDuration('1s later')).toBeUndefined();
      expect(parseResetDuration('')).toBeUndefined();
      expect(parseResetDuration(null)).toBeUndefined();
    });
  });
});
