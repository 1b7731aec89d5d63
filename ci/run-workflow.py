#!/usr/bin/env python3
"""Runs the `run:` steps of a GitHub Actions workflow job here, in order,
as the runner would (bash -e, $GITHUB_ENV carried from step to step,
$RUNNER_TEMP, `if: always()` steps after a failure), so that CI proves a
documented workflow works as written. `uses:` steps are skipped (say which);
processes a step leaves in the background are stopped at the end.

Usage: ci/run-workflow.py WORKFLOW.yml JOB WORKDIR
Needs PyYAML (Debian: python3-yaml)."""

import os
import signal
import subprocess
import sys
import tempfile

import yaml


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    workflow_path, job_name, workdir = argv[1:]
    with open(workflow_path, encoding="utf-8") as f:
        workflow = yaml.safe_load(f)
    steps = workflow["jobs"][job_name]["steps"]
    temp = tempfile.mkdtemp(prefix="runner-temp-")
    github_env = os.path.join(temp, "github-env")
    open(github_env, "w").close()
    env = dict(os.environ, RUNNER_TEMP=temp, GITHUB_ENV=github_env, CI="true")
    groups = []
    failed = None
    try:
        for step in steps:
            name = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
            if "run" not in step:
                print(f"run-workflow: skipped (uses: {step['uses']}): {name}", flush=True)
                continue
            if failed is not None and "always()" not in str(step.get("if", "")):
                print(f"run-workflow: not run after a failure: {name}", flush=True)
                continue
            print(f"run-workflow: step: {name}", flush=True)
            # The job's environment plus what earlier steps wrote to $GITHUB_ENV.
            with open(github_env, encoding="utf-8") as f:
                for line in f:
                    if "=" in line:
                        key, value = line.rstrip("\n").split("=", 1)
                        env[key] = value
            process = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=workdir, env=env,
                                       start_new_session=True)
            groups.append(process.pid)
            if process.wait() != 0 and failed is None:
                failed = name
                print(f"run-workflow: FAILED (status {process.returncode}): {name}", flush=True)
    finally:
        for group in groups:
            try:
                os.killpg(group, signal.SIGTERM)
            except ProcessLookupError:
                pass
    if failed is not None:
        return 1
    print(f"run-workflow: {workflow_path} job {job_name}: every run step passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
