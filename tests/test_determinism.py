"""The same input gives the same output in every process (no dependence on hash seeds or sets)."""

import os
import subprocess
import sys


def test_output_does_not_depend_on_the_hash_seed():
    outputs = []
    for seed in ("0", "1"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run([sys.executable, "-m", "sourcetrace", "analyze", "example"],
                             capture_output=True, text=True, env=env, timeout=300)
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]


def test_entity_labels_do_not_depend_on_the_hash_seed():
    # "Ukrainian" is both a lexicon name (NORP) and the title run before "Telegram channel" (ORG):
    # the tie was broken by set order, so the label changed from one process to the next
    text = ("The Ukrainian Telegram channel DeepState, which tracks the front line, reported that "
            "Russian forces had advanced.")
    outputs = []
    for seed in ("1", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run([sys.executable, "-m", "sourcetrace", "analyze", "-", "--format", "json"],
                             input=text, capture_output=True, text=True, env=env, timeout=300)
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
