"""``python -m bench.opensearch_scale``'s arithmetic, without a cluster: the figures it
reports (percentiles, where the curve bends, CPU per phase, failover phases) and which
node a failover pass kills. The run itself takes a 3-node cluster and many minutes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bench import opensearch_scale as scale


def _level(clients: int, pages_per_s: float, p50: float, p95: float) -> dict:
    return {"clients": clients, "pages_per_s": pages_per_s,
            "latency": {"p50": p50, "p95": p95}}


def test_percentiles_and_an_empty_sample():
    p = scale.percentiles(range(1, 101))
    assert p["n"] == 100 and p["p50"] == 50.5 and p["max"] == 100 and p["p95"] < p["p99"]
    assert scale.percentiles([])["p95"] is None


def test_the_curve_bends_where_throughput_stops_growing():
    levels = [_level(8, 20.5, 380, 700), _level(1, 9.0, 100, 150),
              _level(2, 19.0, 100, 170), _level(4, 20.0, 190, 330)]
    b = scale.bend(levels)
    # 1 -> 2 doubles the pages/s; 2 -> 4 gains 5 %: the curve bends at 2 clients.
    assert b["bends_at_clients"] == 2 and b["best_pages_per_s"] == 20.5
    assert b["near_best_at_clients"] == 2
    assert [(s["from"], s["to"]) for s in b["steps"]] == [(1, 2), (2, 4), (4, 8)]
    assert b["steps"][0]["throughput_x"] == 2.11 and b["steps"][2]["p50_x"] == 2.0
    assert b["steps"][1]["efficiency"] == 0.05
    linear = [_level(1, 10, 50, 60), _level(2, 20, 50, 60), _level(4, 39, 51, 62)]
    assert scale.bend(linear)["bends_at_clients"] == 4  # not bent within the levels
    assert scale.bend([]) == {}


def test_a_sample_falls_in_the_phase_it_started_in():
    marks = [("before", 0.0), ("outage", 10.0), ("recovery", 40.0), ("after", 70.0)]
    assert [scale.phase_of(t, marks) for t in (0, 9.99, 10, 39, 40, 95)] == [
        "before", "before", "outage", "outage", "recovery", "after"]


def test_summary_counts_failures_partial_and_wrong_answers_apart():
    samples = [
        scale.Sample(0.0, 50, 0, True, took_ms=30, requests=3, endpoints={"_search": [1, 30]}),
        scale.Sample(0.1, 70, 1, True, took_ms=40, requests=3, shard_failures=1, wrong=True),
        scale.Sample(0.2, 9, 0, False, "ClusterUnavailable: gone"),
    ]
    queries = [SimpleNamespace(cls="term"), SimpleNamespace(cls="phrase")]
    s = scale.summarise(samples, 2.0, queries)
    assert (s["pages"], s["failed"], s["partial"], s["wrong_totals"]) == (3, 1, 1, 1)
    assert s["pages_per_s"] == 1.0  # successful pages only
    assert s["latency"]["n"] == 2 and s["errors"] == {"ClusterUnavailable: gone": 1}
    assert set(s["classes"]) == {"term", "phrase"}
    assert s["per_page_by_endpoint"]["_search"] == {"requests": 0.5, "took_ms": 15.0}


def test_cpu_in_cores_and_none_for_a_restarted_node():
    a = {"t": 0.0, "self": 1.0, "busy": 10.0, "steal": 0.0,
         "nodes": {"node0": (11, 5.0), "node1": (12, 5.0)}}
    b = {"t": 10.0, "self": 3.0, "busy": 28.0, "steal": 1.0,
         "nodes": {"node0": (11, 15.0), "node1": (12, 9.0)}}
    d = scale.cpu_delta(a, b)
    assert d["bench_process_cores"] == 0.2 and d["nodes_cores"] == 1.4
    assert d["machine_busy_cores"] == 1.8 and d["other_jobs_cores"] == 0.2
    b["nodes"]["node1"] = (99, 1.0)  # restarted: another process
    d = scale.cpu_delta(a, b)
    assert d["per_node_cores"]["node1"] is None and d["nodes_cores"] is None


class _Cat:
    def cluster_manager(self, **_):
        return [{"node": "node0"}]

    def shards(self, **_):
        return [{"prirep": "p", "node": "node0"}, {"prirep": "r", "node": "node1"},
                {"prirep": "p", "node": "node2"}, {"prirep": "p", "node": "node2"},
                {"prirep": "r", "node": "node0"}, {"prirep": "p", "node": "node1"}]


def test_the_node_a_failover_pass_kills():
    conn = SimpleNamespace(cat=_Cat())
    cluster = SimpleNamespace(nodes=[SimpleNamespace(name=f"node{i}") for i in range(3)])
    i, chosen = scale.pick_node(conn, cluster, "g", "data")
    assert i == 2 and chosen["primaries_on_it"] == 2 and not chosen["was_manager"]
    i, chosen = scale.pick_node(conn, cluster, "g", "manager")
    assert i == 0 and chosen["was_manager"]
    assert scale.pick_node(conn, cluster, "g", "node1")[0] == 1
    with pytest.raises(ValueError):
        scale.pick_node(conn, cluster, "g", "node7")


def test_arguments():
    args = scale.parse_args(["--clients", "1,2,4,8", "--kill", "data,manager"])
    assert args.clients == [1, 2, 4, 8] and args.kill == ["data", "manager"]
    assert args.scale == 8 and args.nodes == 3 and args.heap_mb == 1024
    assert scale.parse_args(["--kill", "none"]).kill == []
    with pytest.raises(SystemExit):
        scale.parse_args(["--nodes", "1"])  # a failover pass needs another node
