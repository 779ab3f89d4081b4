"""The MAML problem's episodes are the same whether an inner step's episodes are mapped or
vmapped, with the sibling episodes (the paper profile vmaps on a GPU; that path once called
``jax.vmap(f, xs)``)."""

import jax
import numpy as np

from metagrad.config import load_config
from metagrad.problems.brax_maml import from_config


def test_map_and_vmap_collect_the_same_batch():
    task = load_config("smoke")["tasks"]["brax_maml"]
    key = jax.random.PRNGKey(0)
    batches = []
    for batching in ("map", "vmap"):
        problem = from_config(dict(task, env_batching=batching), {}).variant(sibling_episodes=True)
        state = problem.sample_task(key)
        theta, state = problem.start(key, state, problem.eta_template())
        batches.append(problem.collect(theta, state, key)[1])
    for a, b in zip(jax.tree.leaves(batches[0]), jax.tree.leaves(batches[1])):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
