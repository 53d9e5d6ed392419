"""Word support of a text by a passage: what the answer check builds on."""

from graphs.support import support


def test_support_is_the_share_of_words_in_the_passage() -> None:
    passage = "Full-time employees get 18 days of paid annual leave."
    assert support("employees get 18 days [1]", passage) == 1.0
    assert support("employees get 25 days", passage) == 0.75
    assert support("[1]", passage) == 0.0


def test_korean_support_ignores_particles() -> None:
    passage = "매장은 평일 오전 7시부터 오후 9시까지 문을 엽니다."
    assert support("매장은 평일 오전 7시에 문을 엽니다", passage) >= 0.5
    assert support("화성의 대기는 이산화탄소입니다", passage) < 0.2
