import { describe, expect, it } from "vitest";
import { createRegistry, renderMetrics } from "../registry.ts";
import { LATENCY_BUCKETS_SECONDS } from "./buckets.ts";
import { MetricsRecorder } from "./MetricsRecorder.ts";
import { outcomeOf } from "./outcome.ts";
import { createMetrics } from "./SluiceMetrics.ts";

function setup() {
  const registry = createRegistry();
  const metrics = createMetrics(registry);
  return { registry, metrics, record: new MetricsRecorder(metrics) };
}

describe("createMetrics", () => {
  it("registers every metric of the observability contract", async () => {
    const { registry } = setup();
    const names = registry.getMetricsAsArray().map((m) => m.name);
    for (const name of [
      "sluice_request_duration_seconds",
      "sluice_queue_wait_seconds",
      "sluice_time_to_first_token_seconds",
      "sluice_tokens_total",
      "sluice_queue_depth",
      "sluice_sequences_busy",
      "sluice_model_memory_bytes",
      "sluice_breaker_state",
      "sluice_cache_requests_total",
      "sluice_model_loads_total",
      "sluice_runner_restarts_total",
      "sluice_requests_total",
      "sluice_memory_budget_bytes",
      "sluice_config_reloads_total",
      "sluice_sequence_reuse_total",
      "sluice_prompt_tokens_reused_total",
      "sluice_redis_connected",
    ]) {
      expect(names).toContain(name);
    }
  });

  it("reads each Redis client's connection at scrape time, one probe per client", async () => {
    const { registry, metrics } = setup();
    expect((await renderMetrics(registry)).body).not.toContain("sluice_redis_connected{");
    let up = false;
    metrics.observeRedis("rate_limit", () => up);
    metrics.observeRedis("cache", () => false);
    expect((await renderMetrics(registry)).body).toContain('sluice_redis_connected{client="rate_limit"} 0');
    up = true;
    const body = (await renderMetrics(registry)).body;
    expect(body).toContain('sluice_redis_connected{client="rate_limit"} 1');
    expect(body).toContain('sluice_redis_connected{client="cache"} 0');
    metrics.observeRedis("cache", () => true);
    expect((await renderMetrics(registry)).body).toContain('sluice_redis_connected{client="cache"} 1');
  });

  it("buckets latencies from 1 ms to 60 s", async () => {
    const { registry, record } = setup();
    record.queueWait("m", 0.0004);
    record.queueWait("m", 45);
    const body = (await renderMetrics(registry)).body;
    expect(LATENCY_BUCKETS_SECONDS[0]).toBe(0.001);
    expect(LATENCY_BUCKETS_SECONDS.at(-1)).toBe(60);
    expect(body).toContain('sluice_queue_wait_seconds_bucket{le="0.001",model="m"} 1');
    expect(body).toContain('sluice_queue_wait_seconds_bucket{le="30",model="m"} 1');
    expect(body).toContain('sluice_queue_wait_seconds_bucket{le="60",model="m"} 2');
  });

  it("includes default process metrics unless turned off", async () => {
    expect((await renderMetrics(createRegistry())).body).toContain("process_cpu_user_seconds_total");
    expect((await renderMetrics(createRegistry({ defaultMetrics: false }))).body).not.toContain(
      "process_cpu",
    );
  });

  it("keeps two instances' series apart", async () => {
    const a = setup();
    const b = setup();
    a.record.runnerRestart("lfm2-350m");
    expect((await renderMetrics(a.registry)).body).toContain(
      'sluice_runner_restarts_total{model="lfm2-350m"} 1',
    );
    expect((await renderMetrics(b.registry)).body).not.toContain('model="lfm2-350m"');
  });
});

describe("MetricsRecorder", () => {
  it("counts a finished request by code and observes its latency by outcome", async () => {
    const { registry, record } = setup();
    expect(record.requestFinished({ op: "embed", model: "e", code: "OK", durationSeconds: 0.02 })).toBe("ok");
    expect(
      record.requestFinished({ op: "embed", model: "e", code: "RUNNER_CRASHED", durationSeconds: 1 }),
    ).toBe("server_error");
    const body = (await renderMetrics(registry)).body;
    expect(body).toContain('sluice_requests_total{op="embed",model="e",code="OK"} 1');
    expect(body).toContain('sluice_requests_total{op="embed",model="e",code="RUNNER_CRASHED"} 1');
    expect(body).toContain(
      'sluice_request_duration_seconds_count{op="embed",model="e",outcome="server_error"} 1',
    );
  });

  it("maps breaker states to 0, 1 and 2 and tokens to their kinds", async () => {
    const { registry, record } = setup();
    record.breaker("a", "open");
    record.breaker("b", "halfOpen");
    record.tokens("a", 12, 3);
    const body = (await renderMetrics(registry)).body;
    expect(body).toContain('sluice_breaker_state{model="a"} 2');
    expect(body).toContain('sluice_breaker_state{model="b"} 1');
    expect(body).toContain('sluice_tokens_total{model="a",kind="prompt"} 12');
    expect(body).toContain('sluice_tokens_total{model="a",kind="generated"} 3');
    record.sequenceReuse("a", 0);
    record.sequenceReuse("a", 40);
    record.sequenceReuse("a", 2);
    const reuse = (await renderMetrics(registry)).body;
    expect(reuse).toContain('sluice_sequence_reuse_total{model="a",result="hit"} 2');
    expect(reuse).toContain('sluice_sequence_reuse_total{model="a",result="miss"} 1');
    expect(reuse).toContain('sluice_prompt_tokens_reused_total{model="a"} 42');
  });

  it("records every event helper under its contract name and labels", async () => {
    const { registry, record } = setup();
    record.firstToken("a", 0.2);
    record.queue("a", 3, 64);
    record.sequencesBusy("a", 2);
    record.memoryBudget(4096);
    record.cache("embedding", "hit");
    record.modelLoad("a", "failure");
    record.runnerRestart("a");
    record.configReload("rejected");
    record.tokens("b", 0, 0);
    record.latencyTargets({ chat: 2, embed: 0.5 });
    record.latencyTargets({ chat: 3 });
    const body = (await renderMetrics(registry)).body;
    expect(body).toContain('sluice_time_to_first_token_seconds_count{model="a"} 1');
    expect(body).toContain('sluice_queue_depth{model="a"} 3');
    expect(body).toMatch(/sluice_queue_capacity\w*\{model="a"\} 64/);
    expect(body).toContain('sluice_sequences_busy{model="a"} 2');
    expect(body).toContain("sluice_memory_budget_bytes 4096");
    expect(body).toContain('sluice_cache_requests_total{cache="embedding",result="hit"} 1');
    expect(body).toContain('sluice_model_loads_total{model="a",outcome="failure"} 1');
    expect(body).toContain('sluice_runner_restarts_total{model="a"} 1');
    expect(body).toContain('sluice_config_reloads_total{outcome="rejected"} 1');
    // Zero counts add no series; a new set of latency targets replaces the old one.
    expect(body).not.toContain('sluice_tokens_total{model="b"');
    expect(body).toMatch(/\{op="chat"\} 3/);
    expect(body).not.toMatch(/\{op="embed"\} 0\.5/);
  });

  it("forgets a model's memory gauges on unload", async () => {
    const { registry, record } = setup();
    record.modelMemory("a", "estimate", 1024);
    expect((await renderMetrics(registry)).body).toContain(
      'sluice_model_memory_bytes{model="a",kind="estimate"} 1024',
    );
    record.modelUnloaded("a");
    expect((await renderMetrics(registry)).body).not.toContain('sluice_model_memory_bytes{model="a"');
  });
});

describe("outcomeOf", () => {
  it("separates caller mistakes, aborts and server failures", () => {
    expect(outcomeOf("OK")).toBe("ok");
    expect(outcomeOf("INVALID_INPUT")).toBe("client_error");
    expect(outcomeOf("ABORTED")).toBe("aborted");
    expect(outcomeOf("QUEUE_FULL")).toBe("server_error");
    expect(outcomeOf("SOMETHING_NEW", 409)).toBe("client_error");
  });
});
