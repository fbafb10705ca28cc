#!/usr/bin/env python3
"""Checks pkid's /metrics as Prometheus and x509-certificate-exporter's users consume it.

  exporter_alerts.py WORKDIR BEFORE AFTER EXPECTED

BEFORE and AFTER are two scrapes of /metrics (AFTER once a watched file was damaged). This
  1. parses both with prometheus_client's text parser (the format Prometheus scrapes),
  2. runs `promtool check metrics` on AFTER,
  3. writes the exporter Helm chart's alert rules (x509-certificate-exporter 3.x defaults: renewal under 28 days,
     expiration under 14 days, read errors) plus an expired rule and its per-certificate error rule, checks them
     with `promtool check rules`, and
  4. runs `promtool test rules` on a series file made from the scrapes: BEFORE for minutes 0-9, AFTER from
     minute 10 to 40, with every timestamp-valued sample shifted so that minute 10 is the moment of the scrape
     (promtool's clock starts at 0). EXPECTED (JSON) names, per alert, the filepaths expected to fire; the full
     label sets expected come from the scrape itself.
Prints one line per failure and exits 1 on any.
"""
import json
import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families

RULES = """groups:
- name: x509-certificate-exporter.rules
  rules:
  - alert: X509ExporterReadErrors
    expr: delta(x509_read_errors[15m]) > 0
    for: 5m
    labels: {severity: warning}
  - alert: CertificateError
    expr: x509_cert_error > 0
    for: 15m
    labels: {severity: warning}
  - alert: CertificateRenewal
    expr: ((x509_cert_not_after - time()) / 86400) < 28
    for: 15m
    labels: {severity: warning}
  - alert: CertificateExpiration
    expr: ((x509_cert_not_after - time()) / 86400) < 14
    for: 15m
    labels: {severity: critical}
  - alert: CertificateExpired
    expr: x509_cert_expired == 1
    for: 15m
    labels: {severity: critical}
"""

TIMESTAMPS = {"x509_cert_not_after", "x509_cert_not_before"}
SCRAPE_MINUTE, LAST_MINUTE = 10, 40


def parse(text):
    """{(name, labels tuple): value} for the x509_* samples, and the families' types."""
    samples, types = {}, {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            if sample.name.startswith("x509_"):
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, types


def selector(name, labels):
    inner = ",".join(f'{k}="{json.dumps(v)[1:-1]}"' for k, v in labels)
    return f"{name}{{{inner}}}" if inner else name


def main(workdir, before_path, after_path, expected_path):
    failures = []
    before_text, after_text = open(before_path).read(), open(after_path).read()
    expected = json.load(open(expected_path))
    before, _ = parse(before_text)
    after, types = parse(after_text)
    scraped_at = float(expected["scrapedAt"])
    for name, kind in [("x509_cert_not_after", "gauge"), ("x509_cert_not_before", "gauge"), ("x509_cert_expired", "gauge"),
                       ("x509_cert_error", "gauge"), ("x509_read_errors", "gauge"), ("pkid_build_info", "gauge")]:
        if types.get(name) != kind:
            failures.append(f"prometheus_client: {name} is {types.get(name)!r}, expected {kind}")

    check = subprocess.run(["promtool", "check", "metrics"], input=after_text, capture_output=True, text=True)
    if check.returncode != 0:
        failures.append(f"promtool check metrics: {(check.stdout + check.stderr).strip()}")

    rules = f"{workdir}/rules.yml"
    open(rules, "w").write(RULES)
    check = subprocess.run(["promtool", "check", "rules", rules], capture_output=True, text=True)
    if check.returncode != 0:
        failures.append(f"promtool check rules: {(check.stdout + check.stderr).strip()}")

    offset = 60 * SCRAPE_MINUTE - scraped_at
    series = []
    for key in sorted(set(before) | set(after)):
        name, labels = key
        values = []
        for minute in range(LAST_MINUTE + 1):
            source = before if minute < SCRAPE_MINUTE else after
            value = source.get(key)
            if value is None:
                values.append("_")
            else:
                values.append(repr(value + offset if name in TIMESTAMPS else value))
        series.append({"series": selector(name, labels), "values": " ".join(values)})

    def firing(alert, metric, paths, severity):
        return [{"exp_labels": dict(labels, alertname=alert, severity=severity)}
                for (name, labels) in sorted(after) if name == metric and dict(labels).get("filepath") in paths]

    tests = [{
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": "X509ExporterReadErrors",
             "exp_alerts": [{"exp_labels": {"alertname": "X509ExporterReadErrors", "severity": "warning"}}]},
            {"eval_time": "40m", "alertname": "X509ExporterReadErrors", "exp_alerts": []},
            {"eval_time": "40m", "alertname": "CertificateError",
             "exp_alerts": firing("CertificateError", "x509_cert_error", expected["error"], "warning")},
            {"eval_time": "40m", "alertname": "CertificateRenewal",
             "exp_alerts": firing("CertificateRenewal", "x509_cert_not_after", expected["renewal"], "warning")},
            {"eval_time": "40m", "alertname": "CertificateExpiration",
             "exp_alerts": firing("CertificateExpiration", "x509_cert_not_after", expected["expiration"], "critical")},
            {"eval_time": "40m", "alertname": "CertificateExpired",
             "exp_alerts": firing("CertificateExpired", "x509_cert_expired", expected["expired"], "critical")},
        ],
    }]
    for rule_test in tests[0]["alert_rule_test"]:
        if rule_test["alertname"] != "X509ExporterReadErrors" and not rule_test["exp_alerts"]:
            failures.append(f"no scraped series for the filepaths expected to fire {rule_test['alertname']}")
    test_file = f"{workdir}/alerts-test.yml"
    # JSON is YAML: promtool reads the file as it is.
    open(test_file, "w").write(json.dumps({"rule_files": [rules], "evaluation_interval": "1m", "tests": tests}, indent=1))
    result = subprocess.run(["promtool", "test", "rules", test_file], capture_output=True, text=True)
    if result.returncode != 0:
        failures.append(f"promtool test rules: {(result.stdout + result.stderr).strip()}")

    for failure in failures:
        print(failure)
    if failures:
        sys.exit(1)
    print("metrics parsed, promtool checks passed, alerts fired as expected")


if __name__ == "__main__":
    main(*sys.argv[1:5])
