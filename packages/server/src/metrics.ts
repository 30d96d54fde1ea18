import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The server's Prometheus metrics (one registry per server, so two servers in a process stay apart). */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'lm_stack_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'lm_stack_request_duration_seconds',
    help: 'Time from request to the last byte, by route',
    labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly tokens = new Counter({
    name: 'lm_stack_tokens_total',
    help: 'Tokens in (prompt) and out (completion), by model',
    labelNames: ['model', 'direction'],
    registers: [this.registry],
  });
  readonly speed = new Histogram({
    name: 'lm_stack_generation_tokens_per_second',
    help: 'Completion tokens per second of each generation, by model',
    labelNames: ['model'],
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'lm_stack_queue_depth',
    help: 'Requests waiting for a generation slot',
    registers: [this.registry],
  });
  readonly active = new Gauge({
    name: 'lm_stack_active_generations',
    help: 'Generations running',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'lm_stack_' }); // process CPU, memory, event loop
  }
}
