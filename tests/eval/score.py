#!/usr/bin/env python3
r"""A second scorer for `responder eval`, written from the scoring rules of
issue 17 (docs/eval.md), not from the Rust scorer, so that the two check
each other.

    python3 tests/eval/score.py SCENARIOS_DIR ANSWERS.json [--json]
    python3 tests/eval/score.py --self-test [SCENARIOS_DIR]

ANSWERS.json is what `responder eval DIR --answers OUT` writes:
{"NAME": {"causes": [{"component", "category", "explanation", "evidence": [...]}]}},
the first cause ranked first. Each scenario folder of SCENARIOS_DIR that has
an answer is scored against its expected.json; a folder with no answer, or an
answer with no folder, is listed under "unanswered" / "unknown" and not scored.
Without --json: one row per scenario, then the means. With --json: the same
field names as `responder eval --json` ("overall", "by_difficulty",
"scenarios": [{"name", "difficulty", "scores": {...}}]), without the figures
that need the analyzer's context (context_recall, context_tokens,
ungrounded_quotes). Standard library only.

Definitions (where the rules leave room, the reading used here):

- folding: white space is Unicode's White_Space property (what Rust's
  char::is_whitespace tests; Python's str.split() would also split on
  U+001C..U+001F); "folded" text has every run of it replaced by one space
  and none at either end.
- the scenario's logs: every file logs/*.log of the scenario (not in
  subfolders), read as UTF-8, split into lines at "\n", each line folded.
  A quote occurs in the logs when it is a substring of one such line
  (case-sensitive): a quote spanning two lines of a multi-line event
  occurs nowhere.
- component: lower-cased, every run of "-", "_", "/", ":", "." and white
  space made one space, trimmed; 1 when the expected component or an alias
  (each normalized the same way, empty ones skipped) is a substring of the
  answer's normalized component.
- category: the strings are equal.
- keyword recall: the text is the answer's component, a space, and its
  explanation, lower-cased (white space as it is: the rules fold only
  quotes); an entry "a|b|c" is found when one of its alternatives
  (trimmed, lower-cased, empty ones skipped) is a substring. No entries: 1
  (nothing was missed).
- quotes: the first cause's evidence, each folded; a quote shorter than 8
  characters (Unicode code points) after folding is ignored: it counts
  neither for nor against any figure.
- evidence precision: of the quotes, the share that occur in the logs and
  either lie on a log line holding an evidence line (one line contains both
  the quote and the folded evidence line) or contain an evidence line. No
  quotes: 0.
- evidence recall: of the evidence_lines, the share that such a quote (one
  that occurs in the logs) lies on or contains, by the same test. No
  evidence lines: 1 (nothing was missed).
- evidence lines are folded; one that is empty once folded is skipped (it
  would be "held" by every line).
- quotes not in logs: the number of quotes that occur in no log line.
- wrong leads cited: the number of wrong_leads entries (each one string, no
  alternatives; empty ones skipped) that are a case-insensitive substring of
  the same text as keyword recall reads.
- top-3 component / category: 1 when one of the first three causes scores 1.
- overall: mean of component, category, keyword recall, evidence precision.
- means: the arithmetic mean of each figure over the scenarios, overall and
  per difficulty; wrong_leads_cited and quotes_not_in_logs are totals.
  No causes at all: every figure 0.

The empty cases (no keywords, no evidence lines count as 1), keywords read
without folding and wrong leads without alternatives were chosen to agree
with `responder eval`, checked from the outside (scenario copies with an
altered expected.json; expected.json never reaches the workflow, so the
answers stay the same). Two choices differ on purpose, and the scorers
disagree there:

- an evidence line that is empty once folded: skipped here; responder eval
  keeps it, and every quote found in the logs then counts as precise;
- log files: only logs/*.log here (the scenario format); responder eval
  reads every file directly in logs/. Neither reads the nested layout
  (logs/aws/lambda/NAME/*.log) that the workflow's log folder also accepts.
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile

MIN_QUOTE_CHARS = 8

# Unicode White_Space (Rust's char::is_whitespace).
_WS_CHARS = (
    "\u0009\u000a\u000b\u000c\u000d\u0020\u0085\u00a0\u1680"
    "\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WS = re.compile("[" + _WS_CHARS + "]+")
_WS_EDGES = re.compile("^[" + _WS_CHARS + "]+|[" + _WS_CHARS + "]+$")
_NAME_SEP = re.compile("[-_/:." + _WS_CHARS + "]+")

SCORE_FIELDS = [
    "component",
    "category",
    "keyword_recall",
    "evidence_precision",
    "evidence_recall",
    "wrong_leads_cited",
    "quotes_not_in_logs",
    "top3_component",
    "top3_category",
    "overall",
]
# Figures that are summed over scenarios, not averaged.
TOTALS = ("wrong_leads_cited", "quotes_not_in_logs")
DIFFICULTIES = ("easy", "medium", "hard")


def fold(text):
    """White space runs made one space, trimmed."""
    return " ".join(part for part in _WS.split(text) if part)


def name_key(text):
    """A component name as compared: lower case, separators alike."""
    return " ".join(part for part in _NAME_SEP.split(text.lower()) if part)


def _alternatives(entry):
    """The lower-cased, trimmed alternatives of an `a|b|c` entry."""
    alts = (_WS_EDGES.sub("", a).lower() for a in entry.split("|"))
    return [a for a in alts if a]


def keywords_found(entries, text):
    """How many entries (`a|b|c`: alternatives) occur in `text`."""
    haystack = text.lower()
    return sum(1 for e in entries if any(a in haystack for a in _alternatives(e)))


def leads_found(leads, text):
    """How many wrong leads (whole strings) occur in `text`."""
    haystack = text.lower()
    return sum(1 for lead in leads if lead and lead.lower() in haystack)


def component_score(expected, answered):
    answer = name_key(answered)
    if not answer:
        return 0.0
    names = [expected["component"]] + list(expected.get("component_aliases", []))
    keys = [name_key(n) for n in names]
    return 1.0 if any(k and k in answer for k in keys) else 0.0


def category_score(expected, answered):
    return 1.0 if answered == expected["category"] else 0.0


def _cause(raw):
    raw = raw if isinstance(raw, dict) else {}
    return {
        "component": raw.get("component") or "",
        "category": raw.get("category") or "",
        "explanation": raw.get("explanation") or "",
        "evidence": [q for q in (raw.get("evidence") or []) if isinstance(q, str)],
    }


def score(expected, causes, log_lines):
    """The scores of one answer (`causes`, ranked) against `expected`, with
    `log_lines` the scenario's log lines, folded."""
    causes = [_cause(c) for c in causes]
    zero = {f: 0 if f in TOTALS else 0.0 for f in SCORE_FIELDS}
    if not causes:
        return zero
    first = causes[0]
    evidence = [fold(e) for e in expected.get("evidence_lines", [])]
    evidence = [e for e in evidence if e]
    quotes = [fold(q) for q in first["evidence"]]
    quotes = [q for q in quotes if len(q) >= MIN_QUOTE_CHARS]

    precise = 0
    not_in_logs = 0
    covered = set()
    for quote in quotes:
        lines = [line for line in log_lines if quote in line]
        if not lines:
            not_in_logs += 1
            continue
        hits = {
            i
            for i, e in enumerate(evidence)
            if e in quote or any(e in line for line in lines)
        }
        if hits:
            precise += 1
        covered |= hits

    keywords = expected.get("cause_keywords", [])
    about = first["component"] + " " + first["explanation"]
    s = {
        "component": component_score(expected, first["component"]),
        "category": category_score(expected, first["category"]),
        "keyword_recall": keywords_found(keywords, about) / len(keywords) if keywords else 1.0,
        "evidence_precision": precise / len(quotes) if quotes else 0.0,
        "evidence_recall": len(covered) / len(evidence) if evidence else 1.0,
        "wrong_leads_cited": leads_found(expected.get("wrong_leads", []), about),
        "quotes_not_in_logs": not_in_logs,
        "top3_component": max(component_score(expected, c["component"]) for c in causes[:3]),
        "top3_category": max(category_score(expected, c["category"]) for c in causes[:3]),
    }
    s["overall"] = (
        s["component"] + s["category"] + s["keyword_recall"] + s["evidence_precision"]
    ) / 4
    return {f: s[f] for f in SCORE_FIELDS}


def read_log_lines(folder):
    logs = os.path.join(folder, "logs")
    lines = []
    for name in sorted(os.listdir(logs)):
        path = os.path.join(logs, name)
        if name.endswith(".log") and os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                lines.extend(fold(line) for line in f.read().split("\n"))
    return lines


def read_scenario(folder):
    with open(os.path.join(folder, "expected.json"), encoding="utf-8") as f:
        expected = json.load(f)
    for key in ("component", "category", "difficulty"):
        if not isinstance(expected.get(key), str):
            raise ValueError(f"expected.json: {key} is missing")
    return expected, read_log_lines(folder)


def scenario_folders(root):
    return sorted(
        name
        for name in os.listdir(root)
        if os.path.isfile(os.path.join(root, name, "expected.json"))
    )


def means(rows):
    n = max(len(rows), 1)
    out = {"scenarios": len(rows)}
    # The order of `responder eval --json`: the means, then the totals.
    order = ["overall"] + [f for f in SCORE_FIELDS if f not in TOTALS and f != "overall"]
    for field in order + list(TOTALS):
        total = sum(r["scores"][field] for r in rows)
        out[field] = total if field in TOTALS else total / n
    return out


def evaluate(root, answers):
    rows, unreadable = [], []
    names = scenario_folders(root)
    for name in names:
        if name not in answers:
            continue
        try:
            expected, log_lines = read_scenario(os.path.join(root, name))
        except (OSError, ValueError) as e:
            unreadable.append({"name": name, "reason": str(e)})
            continue
        causes = (answers[name] or {}).get("causes") or []
        rows.append(
            {
                "name": name,
                "difficulty": expected["difficulty"],
                "scores": score(expected, causes, log_lines),
            }
        )
    by_difficulty = {}
    levels = list(DIFFICULTIES) + sorted({r["difficulty"] for r in rows} - set(DIFFICULTIES))
    for level in levels:
        subset = [r for r in rows if r["difficulty"] == level]
        if subset:
            by_difficulty[level] = means(subset)
    return {
        "scorer": "tests/eval/score.py",
        "overall": means(rows),
        "by_difficulty": by_difficulty,
        "scenarios": rows,
        "unreadable": unreadable,
        "unanswered": [n for n in names if n not in answers],
        "unknown": sorted(set(answers) - set(names)),
    }


def table(result):
    head = "{:<30} {:<6} {:>7} {:>5} {:>5} {:>5} {:>5} {:>5}".format(
        "SCENARIO", "LEVEL", "OVERALL", "COMP", "CAT", "KEYW", "EPREC", "EREC"
    )
    fmt = "{:<30} {:<6} {:>7.2f} {:>5.2f} {:>5.2f} {:>5.2f} {:>5.2f} {:>5.2f}"

    def row(label, level, m):
        return fmt.format(
            label[:30], str(level), m["overall"], m["component"], m["category"],
            m["keyword_recall"], m["evidence_precision"], m["evidence_recall"],
        )

    lines = [head]
    for r in result["scenarios"]:
        lines.append(row(r["name"], r["difficulty"], r["scores"]))
    lines.append("")
    for level, m in result["by_difficulty"].items():
        lines.append(row(f"mean ({level})", m["scenarios"], m))
    o = result["overall"]
    lines.append(row("mean (all)", o["scenarios"], o))
    lines.append(
        "top-3 component {:.2f}, top-3 category {:.2f}; wrong leads cited {}, "
        "quotes not in the logs {}".format(
            o["top3_component"], o["top3_category"], o["wrong_leads_cited"], o["quotes_not_in_logs"]
        )
    )
    for key in ("unreadable", "unanswered", "unknown"):
        if result[key]:
            lines.append(f"{key}: {json.dumps(result[key])}")
    return lines


# --- self-test ---------------------------------------------------------------


def perfect_answer(expected):
    """An answer built from expected.json: it must score 1 on every field."""
    words = [_alternatives(k)[0] for k in expected.get("cause_keywords", []) if _alternatives(k)]
    return {
        "causes": [
            {
                "component": expected["component"],
                "category": expected["category"],
                "explanation": "; ".join(words),
                "evidence": list(expected.get("evidence_lines", [])),
            }
        ]
    }


def echo_answer(alarm):
    """The baseline that only echoes the alarm: its name as the component,
    its state reason as the explanation and the one quote."""
    detail = alarm.get("detail") if isinstance(alarm.get("detail"), dict) else {}
    name = detail.get("alarmName") or alarm.get("title") or ""
    reason = (detail.get("state") or {}).get("reason") or alarm.get("message") or ""
    return {
        "causes": [
            {"component": name, "category": "unknown", "explanation": reason, "evidence": [reason]}
        ]
    }


def _write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(content if isinstance(content, str) else json.dumps(content))


def _hand_checked(tmp):
    """One small scenario, scored by hand: (answer, expected scores)."""
    folder = os.path.join(tmp, "tiny")
    _write(
        os.path.join(folder, "logs", "__aws__lambda__orders-api.log"),
        "2026-01-01T10:00:00.000000+00:00 2026/01/01/[$LATEST]abc START RequestId: r1\n"
        "2026-01-01T10:00:01.000000+00:00 2026/01/01/[$LATEST]abc ERROR  connect   ETIMEDOUT 10.0.0.5:5432\n"
        "2026-01-01T10:00:02.000000+00:00 2026/01/01/[$LATEST]abc Task timed out after 3.00 seconds\n"
        "    at Pool.connect (pool.js:10)\n",
    )
    _write(os.path.join(folder, "logs", "notes.txt"), "ERROR connect ETIMEDOUT in a file that is not a log\n")
    _write(
        os.path.join(folder, "expected.json"),
        {
            "component": "orders_db",
            "component_aliases": ["/rds/Orders-Primary"],
            "category": "database_contention",
            "cause_keywords": ["pool|connections", "orders db", "deadlock"],
            "evidence_lines": ["connect ETIMEDOUT 10.0.0.5:5432", "Pool.connect (pool.js:10)"],
            "wrong_leads": ["Timed Out", "cold start", ""],
            "difficulty": "hard",
        },
    )
    answer = {
        "causes": [
            {
                "component": "RDS: orders-primary",
                "category": "timeout",
                "explanation": "The Lambda timed out; the ORDERS DB connection pool is exhausted.",
                "evidence": [
                    "ERROR connect ETIMEDOUT",  # on the first evidence line's line
                    "10:00:01.000000+00:00",  # same line, only a time stamp: still on it
                    "Task timed out after 3.00 seconds",  # in the logs, no evidence line
                    "not in the logs at all",  # not found
                    "Pool",  # too short: ignored
                ],
            },
            {"component": "x", "category": "database_contention", "explanation": "", "evidence": []},
        ]
    }
    scores = {
        "component": 1.0,  # "rds orders primary" holds the alias "rds orders primary"
        "category": 0.0,
        "keyword_recall": 2 / 3,  # "pool", "orders db"; not "deadlock"
        "evidence_precision": 2 / 4,
        "evidence_recall": 1 / 2,  # the continuation line is quoted by no one
        "wrong_leads_cited": 1,  # "timed out"
        "quotes_not_in_logs": 1,
        "top3_component": 1.0,
        "top3_category": 1.0,
        "overall": (1.0 + 0.0 + 2 / 3 + 0.5) / 4,
    }
    return folder, answer, scores


def self_test(root):
    failures = []

    def check(label, got, want):
        if isinstance(want, float) and isinstance(got, (int, float)):
            ok = abs(got - want) <= 1e-9
        else:
            ok = got == want
        if not ok:
            failures.append(f"{label}: got {got!r}, want {want!r}")

    check("fold", fold("  a\t b\u00a0c \u2003\n"), "a b c")
    check("fold keeps U+001F", fold("a\u001fb"), "a\u001fb")
    check("name_key", name_key(" /aws/Lambda/orders_api:live. "), "aws lambda orders api live")
    check("keywords: alternatives trimmed", keywords_found([" zzz | Orders DB "], "the orders db"), 1)
    check("keywords: white space as written", keywords_found(["orders db"], "the orders  db"), 0)
    check("leads: no alternatives", leads_found(["a|orders"], "orders"), 0)

    tmp = tempfile.mkdtemp(prefix="score-py-")
    try:
        folder, answer, want = _hand_checked(tmp)
        expected, lines = read_scenario(folder)
        got = score(expected, answer["causes"], lines)
        for field, value in want.items():
            check(f"tiny: {field}", got[field], value)
        check("tiny: no causes", score(expected, [], lines)["overall"], 0.0)
        no_quotes = [dict(answer["causes"][0], evidence=["Pool"])]
        check("tiny: only short quotes", score(expected, no_quotes, lines)["evidence_precision"], 0.0)
        echo = echo_answer({"detail": {"alarmName": "orders-api-errors", "state": {"reason": "Threshold Crossed: 1 datapoint [5.0] was greater than the threshold (1.0)."}}})
        got = score(expected, echo["causes"], lines)
        for field, value in {"overall": 0.0, "quotes_not_in_logs": 1, "wrong_leads_cited": 0}.items():
            check(f"tiny echo: {field}", got[field], value)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    names = scenario_folders(root) if os.path.isdir(root) else []
    if not names:
        failures.append(f"no scenario folder in {root}")
    perfect, echo = {}, {}
    for name in names:
        with open(os.path.join(root, name, "expected.json"), encoding="utf-8") as f:
            perfect[name] = perfect_answer(json.load(f))
        with open(os.path.join(root, name, "alarm.json"), encoding="utf-8") as f:
            echo[name] = echo_answer(json.load(f))
    result = evaluate(root, perfect)
    for r in result["scenarios"]:
        for field in SCORE_FIELDS:
            want = 0 if field in TOTALS else 1.0
            check(f"{r['name']} from expected.json: {field}", r["scores"][field], want)
    low = evaluate(root, echo)
    o = low["overall"]
    # The alarm's own text is in no log, and "unknown" is never the expected
    # category: the echo scores only where the alarmed resource is the cause
    # (component) and the keywords its name and reason happen to hold.
    check("echo: category", o["category"], 0.0)
    check("echo: evidence precision", o["evidence_precision"], 0.0)
    if not o["overall"] < 0.25:
        failures.append(f"echo: overall {o['overall']:.3f}, want below 0.25")
    for line in failures:
        print(f"FAIL {line}", file=sys.stderr)
    print(
        f"self-test: {len(names)} scenarios; from expected.json overall "
        f"{result['overall']['overall']:.3f}; echo-the-alarm overall {o['overall']:.3f} "
        f"(keyword recall {o['keyword_recall']:.3f}); "
        + ("ok" if not failures else f"{len(failures)} failure(s)")
    )
    return 0 if not failures else 1


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="?", help="the folder of scenario folders")
    parser.add_argument("answers", nargs="?", help="the file `responder eval --answers` wrote")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    parser.add_argument("--self-test", action="store_true", help="check this scorer (default scenarios: tests/scenarios)")
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test(args.scenarios or os.path.join(here, "..", "scenarios"))
    if not args.scenarios or not args.answers:
        parser.error("SCENARIOS_DIR and ANSWERS.json are required")
    with open(args.answers, encoding="utf-8") as f:
        answers = json.load(f)
    if not isinstance(answers, dict):
        parser.error("ANSWERS.json is not an object of scenario names")
    result = evaluate(args.scenarios, answers)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("\n".join(table(result)))
    return 0 if result["scenarios"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
