import pino, { type Logger } from 'pino';

/** Structured JSON logs. Cookies, tokens and credentials are removed wherever they could appear. */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  '*.token',
  '*.accessToken',
  '*.idToken',
  '*.refreshToken',
  '*.sessionToken',
  '*.password',
  '*.clientSecret',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'mreg' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}
