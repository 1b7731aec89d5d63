// Types of descovo-mock-helper (index.js), for TypeScript tests (Jest, Vitest).
export declare const DEV_KEY: 'sk_test_descovo_dev';
export declare const EXIT_STATUSES: Readonly<Record<number, string>>;

export declare class DescovoMockError extends Error {
  method: string;
  path: string;
  status: number;
  body: unknown;
}
export declare class DescovoMockStartError extends Error {
  exitCode: number | string | null;
  output: string;
}
export declare class TenantsUnsupported extends DescovoMockError {}

export declare function findBinary(binary?: string): string;

export interface StartOptions {
  /** More options of descovo-mock, e.g. ['--scenario', 'flaky-5xx']. */
  args?: string[];
  binary?: string;
  clock?: 'manual' | 'real';
  adminToken?: string;
  apiKey?: string;
  startTimeoutMs?: number;
  env?: Record<string, string | undefined>;
}

export interface JournalFilter {
  method?: string;
  /** A glob: '*' within a segment, '**' across segments. */
  path?: string;
  apiKey?: string;
  status?: number;
  since?: number | string;
  limit?: number;
}

export interface FaultRule {
  match?: { method?: string; path?: string; apiKey?: string };
  after?: number;
  times?: number;
  probability?: number;
  seed?: number;
  action: { type: string; [field: string]: unknown };
}

export interface Account {
  apiKey: string;
  credits: number;
  exportQuota: number;
  exportRowsUsed: number;
  audiences: number;
}

export interface HttpAnswer {
  status: number;
  body: any;
  headers: Headers;
}

declare class Control {
  baseUrl: string;
  adminToken: string | null;
  timeoutMs: number;
  request(method: string, path: string,
          options?: { body?: unknown; query?: Record<string, unknown>; headers?: Record<string, string> }): Promise<HttpAnswer>;
}

export declare class DescovoMock extends Control {
  constructor(baseUrl: string, options?: { adminToken?: string; apiKey?: string; timeoutMs?: number });
  static start(options?: StartOptions): Promise<DescovoMock>;
  static connect(baseUrl: string, options?: { adminToken?: string; apiKey?: string; waitMs?: number }): Promise<DescovoMock>;
  static fromEnv(options?: StartOptions): Promise<DescovoMock>;
  readonly started: boolean;
  apiKey: string;
  port: number | null;
  pid: number | null;
  version: string | null;
  stop(options?: { timeoutMs?: number }): Promise<number | string | null>;
  health(): Promise<{ status: string; version: string; seed: number; companies: number; prospects: number; clock: string }>;
  waitHealthy(options?: { timeoutMs?: number }): Promise<Record<string, unknown>>;
  reset(): Promise<void>;
  clock(): Promise<{ mode: string; now: string; nowMs: number; scale: number }>;
  advance(seconds: number): Promise<Record<string, unknown>>;
  account(apiKey?: string): Promise<Account>;
  setAccount(fields: { apiKey?: string; credits?: number; exportQuota?: number; exportRowsUsed?: number }): Promise<Account>;
  faults(): Promise<Array<FaultRule & { id: number; seen: number; fired: number; active: boolean }>>;
  addFault(rule: FaultRule): Promise<number>;
  removeFault(id: number): Promise<void>;
  clearFaults(): Promise<void>;
  scenarios(): Promise<Array<{ name: string; description: string }>>;
  loadScenario(scenario: string | Record<string, unknown>): Promise<Record<string, unknown>>;
  requests(filter?: JournalFilter): Promise<Array<Record<string, any>>>;
  count(filter?: Omit<JournalFilter, 'limit'>): Promise<number>;
  clearRequests(): Promise<void>;
  outbox(filter?: { to?: string }): Promise<Array<{ time: string; to: string; subject: string; body: string; links: string[] }>>;
  clearOutbox(): Promise<void>;
  tenant(apiKey: string): Tenant;
}

export declare class Tenant extends Control {
  mock: DescovoMock;
  apiKey: string;
  account(): Promise<Account>;
  setAccount(fields: { credits?: number; exportQuota?: number; exportRowsUsed?: number }): Promise<Account>;
  reset(): Promise<void>;
  clock(): Promise<{ mode: string; now: string; nowMs: number; scale: number }>;
  advance(seconds: number): Promise<Record<string, unknown>>;
  loadScenario(scenario: string | Record<string, unknown>): Promise<Record<string, unknown>>;
  faults(): Promise<FaultRule[]>;
  clearFaults(): Promise<void>;
  addFault(rule: FaultRule): Promise<number>;
  requests(filter?: JournalFilter): Promise<Array<Record<string, any>>>;
  count(filter?: Omit<JournalFilter, 'limit'>): Promise<number>;
}
