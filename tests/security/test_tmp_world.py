import time, pytest
@pytest.mark.django_db
def test_world_builds(world):
    assert world.sides["in"].print_job.pdf
