"""Figure 1 on a synthetic landscape table."""

from matplotlib.collections import QuadMesh
from matplotlib.contour import ContourSet

from metagrad.figures import landscape
from synthetic_tables import CFG, landscape_table

SECTION = {"task": "bandit", "kind": "landscape", "lifetime_length": 30, "schedule_split_step": 7,
           "num_bandits": 16, "num_iterations": 2, "num_seeds": 2}


def test_landscape_draws_grid_cells_not_contours():
    fig, _ = landscape.draw({"landscape": landscape_table(noise=0.01)}, CFG, SECTION)
    ax = fig.axes[0]
    meshes = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 1 and meshes[0].get_array().size == 8 * 8  # one cell per grid point
    assert not [c for c in ax.collections if isinstance(c, ContourSet)]


def test_landscape_caption_reads_the_task_section():
    _, caption = landscape.draw({"landscape": landscape_table()}, CFG, SECTION)
    assert "30-armed bandit (B = 10 pulls per step)" in caption
    assert "grid 8 x 8" in caption and "128 lifetimes per grid point" in caption
    assert "One cell per grid point" in caption
