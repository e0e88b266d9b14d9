from config.locks import single_instance


def test_a_second_holder_is_refused_until_the_first_releases():
    with single_instance("job") as first, single_instance("job") as second:
        assert (first, second) == (True, False)
    with single_instance("job") as again:
        assert again is True
