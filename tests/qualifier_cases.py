"""Questions whose qualifier (group, currency, time, place, unit) a near-miss sentence does
not share: tests/test_qualifiers.py checks the logic on them with fake drafts, and
bench/qualifiers.py asks the default model.

Each case's document holds the sentence that answers and a near miss ("Full-time employees
receive 18 days" for a part-time question). `wrong` is what the near miss would answer;
`right` is what the shown answer must hold. `quote` cases have no answer in the documents'
terms (a price asked in dollars, the menu in won): the evidence is quoted, or the question
refused, and no number is given as the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from tests.helpers import SAMPLE_DATA

if TYPE_CHECKING:
    from core.index.keyword import KeywordIndex


@dataclass(frozen=True)
class Case:
    question: str
    document: str
    right: str
    wrong: str
    quote: bool = False


def _menu_row(item: str) -> str:
    """data/menu.csv's row for `item`, as the CSV loader writes it (`header: value` lines)."""
    import csv
    import io

    text = (SAMPLE_DATA / "menu.csv").read_bytes().decode("cp949")
    rows = list(csv.reader(io.StringIO(text)))
    row = next(r for r in rows[1:] if r[0] == item)
    return "\n".join(f"{name}: {value}" for name, value in zip(rows[0], row, strict=True))


HANDBOOK_LEAVE = ("Full-time employees receive 18 days of paid annual leave per year.\n"
                  "Part-time employees receive paid leave in proportion to their contracted "
                  "hours.\nUnused leave of up to 5 days may be carried over into the next year.")
HANDBOOK_HOURS = ("Working hours: baristas work in two shifts, 6:30 to 14:30 and 13:00 to "
                  "21:00.\nEach shift includes a paid 30 minute break. Shift swaps need a "
                  "manager's approval\nat least 24 hours in advance.")
FRENCH_PRESS = ("Use 30 grams of coarse ground coffee for 500 millilitres of water just off "
                "the boil.\nSteep for four minutes, stir the crust, then press slowly.")
POUR_OVER = ("Use 15 grams of medium-fine ground coffee for 250 millilitres of water. The "
             "water should be between 92 and 94 degrees Celsius. Bloom the grounds with 40 "
             "millilitres of water for 30 seconds, then pour the rest in slow circles.")
COLD_BREW = ("Mix 100 grams of coarse ground coffee with one litre of cold water and steep "
             "it in the refrigerator for 16 to 18 hours. Filter it twice and keep it cold for "
             "up to ten days.")
BATCHES = ("The drum roaster holds 12 kilograms of green beans. A full batch loses about 15 "
           "percent of its weight during roasting.")
LIBRARY = "On weekdays the library closes at 9 pm. On weekends it closes at 5 pm."
TRAINS = "On weekdays 40 trains run between the cities. On weekends only 12 trains run."
STORES = "The Seoul store opens at 8 am. The Busan store opens at 7 am."
STAFF = "The company has 120 employees in Busan. In Seoul it has 45 employees."
RENT = ("Office rent in Daegu is 900,000 won a month. Office rent in Incheon is 1,400,000 "
        "won a month.")
TOUR = "The city tour costs 35 dollars per person. In Korea the same tour costs 45,000 won."
TRAIL = "The coastal trail is 12 miles long, about 19 kilometres."
WAGES = ("Full-time baristas earn 12,000 won an hour. Part-time baristas earn 10,500 won an "
         "hour.")
TICKETS = "Tickets cost 15 dollars for adults. Tickets for children under 12 cost 7 dollars."
WORKSHOP = "Non-members pay 40 dollars for the workshop. Members pay 25 dollars."
NOTICE = ("Full-time staff must give four weeks of notice. Part-time staff must give two "
          "weeks of notice.")
SICK = ("Full-time workers get 10 paid sick days a year. Part-time workers get 5 paid sick "
        "days a year.")
# a number the documents hold elsewhere with another unit ("30 percent" for a notice period)
NOTICE_FEE = ("Cancelled orders carry a fee of 30 percent of the order. Staff must give two "
              "weeks of notice before leaving.")
WARRANTY = ("The grinder's warranty lasts two years. Repairs under warranty take up to 14 "
            "days.")
CANCELLATION = ("The cancellation fee is 30 percent of the order. Refunds arrive within 30 "
                "days.")
SHIPPING = "Shipping costs 5 dollars a parcel. Parcels arrive within 5 days."
VANILLA_ROW = "메뉴: 바닐라 라떼\n크기: 보통\n가격(원): 5500"

ENGLISH = [
    Case("How many days of paid annual leave do part-time employees get?", HANDBOOK_LEAVE,
         "in proportion to their contracted hours", "18 days"),
    Case("How many days of paid annual leave do full-time employees get?", HANDBOOK_LEAVE,
         "18 days", "in proportion to their contracted hours"),
    Case("How many days of paid annual leave do part-time employees get?",
         "Full-time employees receive 18 days of paid annual leave per year. Leave requests "
         "go to the shift manager.", "18 days", "18 days", quote=True),
    Case("How many minutes is the paid break in a shift?", HANDBOOK_HOURS, "30 minutes", "24"),
    Case("How many hours in advance do shift swaps need approval?", HANDBOOK_HOURS,
         "24 hours", "30"),
    Case("How much is a cafe latte in dollars?", _menu_row("Cafe latte"), "4800", "4800",
         quote=True),
    Case("How much is an americano in dollars?", _menu_row("Americano"), "4000", "4000",
         quote=True),
    Case("How much is a cold brew in euros?", _menu_row("Cold brew"), "5000", "5000",
         quote=True),
    Case("What does a hand drip cost in yen?", _menu_row("Hand drip (single origin)"), "6500",
         "6500", quote=True),
    Case("How much are 200 g of house blend beans in US dollars?",
         _menu_row("House blend beans 200 g"), "14000", "14000", quote=True),
    Case("How much does a hostel bed cost per night in dollars?",
         "A bed in the hostel costs 25,000 won per night. Breakfast is included.", "25,000",
         "25,000", quote=True),
    Case("How many grams of coffee does the French press use?", FRENCH_PRESS, "30 grams",
         "500"),
    Case("How many millilitres of water does the French press use?", FRENCH_PRESS,
         "500 millilitres", "30"),
    Case("How many minutes does the French press steep?", FRENCH_PRESS, "four minutes",
         "500"),
    Case("How many grams of coffee does a pour-over use?", POUR_OVER, "15 grams", "250"),
    Case("How many millilitres of water bloom the grounds?", POUR_OVER,
         "40 millilitres", "30"),
    Case("How many seconds do the grounds bloom?", POUR_OVER, "30 seconds", "40"),
    Case("How many degrees Celsius should the pour-over water be?", POUR_OVER, "94", "30"),
    Case("How many hours does cold brew steep in the refrigerator?", COLD_BREW, "18 hours",
         "ten days"),
    Case("For how many days can you keep cold brew cold?", COLD_BREW, "ten days", "18 hours"),
    Case("How many grams of coffee go into cold brew?", COLD_BREW, "100 grams", "one litre"),
    Case("How many kilograms of green beans does the drum roaster hold?", BATCHES,
         "12 kilograms", "15"),
    Case("What percentage of its weight does a batch lose in roasting?", BATCHES,
         "15 percent", "12"),
    Case("At what temperature in Fahrenheit does the dark roast end?",
         "Dark roast ends at 230 °C, at the start of second crack. It is used for espresso.",
         "230 °C", "230", quote=True),
    Case("What time does the library close on weekends?", LIBRARY, "5 pm", "9 pm"),
    Case("What time does the library close on weekdays?", LIBRARY, "9 pm", "5 pm"),
    Case("What time does the library close on weekends?",
         "On weekdays the library closes at 9 pm. Its reading room seats 80 people.", "9 pm",
         "9 pm", quote=True),
    Case("How many trains run on weekends?", TRAINS, "12", "40"),
    Case("How many trains run on weekdays?", TRAINS, "40", "12"),
    Case("When does the Busan store open?", STORES, "7 am", "8 am"),
    Case("When does the Seoul store open?", STORES, "8 am", "7 am"),
    Case("How many employees does the company have in Seoul?", STAFF, "45", "120"),
    Case("How many employees does the company have in Busan?", STAFF, "120", "45"),
    Case("How much is office rent in Incheon?", RENT, "1,400,000", "900,000"),
    Case("How much is office rent in Daegu?", RENT, "900,000", "1,400,000"),
    Case("How much does the city tour cost in dollars?", TOUR, "35 dollars", "45,000"),
    Case("How much does the city tour cost in won?", TOUR, "45,000 won", "35 dollars"),
    Case("How many kilometres long is the coastal trail?", TRAIL, "19 kilometres", "12"),
    Case("How many miles long is the coastal trail?", TRAIL, "12 miles", "19"),
    Case("What is the hourly wage of part-time baristas?", WAGES, "10,500", "12,000"),
    Case("What is the hourly wage of full-time baristas?", WAGES, "12,000", "10,500"),
    Case("How much does a ticket cost for children?", TICKETS, "7 dollars", "15 dollars"),
    Case("How much does a ticket cost for adults?", TICKETS, "15 dollars", "7 dollars"),
    Case("How much do members pay for the workshop?", WORKSHOP, "25 dollars", "40 dollars"),
    Case("How much do non-members pay for the workshop?", WORKSHOP, "40 dollars",
         "25 dollars"),
    Case("How many weeks of notice must part-time staff give?", NOTICE, "two weeks",
         "four weeks"),
    Case("How many weeks of notice must full-time staff give?", NOTICE, "four weeks",
         "two weeks"),
    Case("How many paid sick days do part-time workers get a year?", SICK, "5",
         "10 paid sick days"),
    Case("How long is the notice period for staff?", NOTICE_FEE, "two weeks", "30 days"),
    Case("How long before leaving must staff give notice?", NOTICE_FEE, "two weeks", "30"),
    Case("How long does the grinder's warranty last?", WARRANTY, "two years", "14 months"),
    Case("What is the cancellation fee?", CANCELLATION, "30 percent", "30 dollars"),
    Case("How much does shipping cost?", SHIPPING, "5 dollars", "5 euros"),
    Case("How much is a cafe latte?", _menu_row("Cafe latte"), "4800 (price_krw)",
         "4800 dollars"),
    Case("How much does a cold brew cost?", _menu_row("Cold brew"), "5000 (price_krw)",
         "5000 euros"),
]

GUIDE_HOURS = ("매장은 평일 오전 7시부터 오후 9시까지 문을 엽니다. 주말과 공휴일에는 오전 9시부터 "
               "오후 6시까지 영업합니다.")
LEAVE_KO = ("정규직 직원은 연 18일의 유급 연차를 받습니다. 시간제 직원은 계약 근무 시간에 "
            "비례하여 유급 휴가를 받습니다.")
BREAK_KO = ("각 근무에는 30분의 유급 휴식이 포함됩니다. 근무 교대는 최소 24시간 전에 관리자의 "
            "승인을 받아야 합니다.")
PRESS_KO = ("프렌치 프레스에는 굵게 간 커피 30그램과 물 500밀리리터를 씁니다. 프렌치 프레스는 4분 "
            "동안 우려냅니다.")
BEANS_KO = ("원두는 200그램과 1킬로그램 단위로 판매합니다. 원두는 로스팅 후 2주 안에 드시는 것을 "
            "권장합니다.")
COLD_KO = ("콜드 브루는 커피 100그램과 찬물 1리터를 섞어 냉장고에서 16시간에서 18시간 동안 "
           "우려냅니다. 콜드 브루는 차갑게 보관하면 최대 10일까지 마실 수 있습니다.")
TOUR_KO = "시티 투어 비용은 1인당 35달러입니다. 한국에서 시티 투어 비용은 45,000원입니다."
TUMBLER_KO = ("국내 매장에서 텀블러를 가져오시면 300원을 할인해 드립니다. 해외 매장에서는 1달러를 "
              "할인합니다.")
TICKETS_KO = "성인 입장료는 15,000원입니다. 어린이 입장료는 7,000원입니다."
POOL_KO = "성인 수영장 이용료는 6,000원입니다. 경로 우대 이용료는 3,000원입니다."
WORKSHOP_KO = "비회원의 워크숍 참가비는 40,000원입니다. 회원의 워크숍 참가비는 25,000원입니다."
TRAINS_KO = "평일에는 열차가 40대 운행합니다. 주말에는 열차가 12대만 운행합니다."
STORES_KO = "서울 매장은 오전 8시에 문을 엽니다. 부산 매장은 오전 7시에 문을 엽니다."
RENT_KO = "대구 사무실 임대료는 월 90만 원입니다. 인천 사무실 임대료는 월 140만 원입니다."
VISITORS_KO = "작년에 부산을 찾은 관광객은 200만 명입니다. 제주를 찾은 관광객은 1,300만 명입니다."
TRAIL_KO = "해안 산책로의 길이는 12마일, 약 19킬로미터입니다."
WAGES_KO = "정규직 바리스타의 시급은 12,000원입니다. 시간제 바리스타의 시급은 10,500원입니다."
CANCELLATION_KO = ("계약 해지 수수료는 잔여 금액의 30퍼센트입니다. 계약 해지는 2주 전에 "
                   "통보해야 합니다.")
OFFICES_KO = "회사의 본사는 대전에 있습니다. 회사의 물류 센터는 평택에 있습니다."
SPONSOR_KO = "이 행사는 한국관광공사가 후원했습니다. 행사 장소는 시청 앞 광장입니다."

KOREAN = [
    Case("매장은 주말에 몇 시까지 영업하나요?", GUIDE_HOURS, "오후 6시", "오후 9시"),
    Case("매장은 평일 몇 시에 문을 여나요?", GUIDE_HOURS, "오전 7시", "오전 9시"),
    Case("매장은 평일 몇 시까지 문을 여나요?", GUIDE_HOURS, "오후 9시", "오후 6시"),
    Case("주말에는 매장이 몇 시에 문을 여나요?",
         "매장은 평일 오전 7시에 문을 엽니다. 원두는 무료로 분쇄해 드립니다.", "오전 7시",
         "오전 7시", quote=True),
    Case("시간제 직원은 유급 연차를 며칠 받나요?", LEAVE_KO, "비례하여", "18일"),
    Case("정규직 직원은 유급 연차를 며칠 받나요?", LEAVE_KO, "18일", "비례하여"),
    Case("시간제 직원은 유급 연차를 며칠 받나요?", "정규직 직원은 연 18일의 유급 연차를 받습니다. "
         "연차 신청은 관리자에게 합니다.", "18일", "18일", quote=True),
    Case("근무 중 유급 휴식은 몇 분인가요?", BREAK_KO, "30분", "24시간"),
    Case("근무 교대는 몇 시간 전에 승인받아야 하나요?", BREAK_KO, "24시간", "30분"),
    Case("카페 라떼는 달러로 얼마인가요?", _menu_row("Cafe latte"), "4800", "4800", quote=True),
    Case("아메리카노는 달러로 얼마인가요?", _menu_row("Americano"), "4000", "4000", quote=True),
    Case("콜드 브루는 유로로 얼마인가요?", _menu_row("Cold brew"), "5000", "5000", quote=True),
    Case("핸드 드립은 엔화로 얼마인가요?", _menu_row("Hand drip (single origin)"), "6500", "6500",
         quote=True),
    Case("게스트하우스 1박 요금은 달러로 얼마인가요?", "게스트하우스 1박 요금은 25,000원입니다. "
         "아침 식사가 포함됩니다.", "25,000원", "25,000원", quote=True),
    Case("프렌치 프레스에는 커피를 몇 그램 쓰나요?", PRESS_KO, "30그램", "500"),
    Case("프렌치 프레스에는 물을 몇 밀리리터 쓰나요?", PRESS_KO, "500밀리리터", "30"),
    Case("프렌치 프레스는 몇 분 동안 우려내나요?", PRESS_KO, "4분", "30"),
    Case("원두는 로스팅 후 몇 주 안에 마시는 것이 좋나요?", BEANS_KO, "2주", "200"),
    Case("원두는 몇 그램 단위로 판매하나요?", BEANS_KO, "200그램", "2주"),
    Case("콜드 브루는 냉장고에서 몇 시간 우려내나요?", COLD_KO, "18시간", "10일"),
    Case("콜드 브루는 며칠까지 마실 수 있나요?", COLD_KO, "10일", "18시간"),
    Case("콜드 브루에는 커피를 몇 그램 넣나요?", COLD_KO, "100그램", "1리터"),
    Case("물의 온도는 화씨로 몇 도인가요?", "물의 온도는 섭씨 92도에서 94도 사이가 좋습니다. 뜸 "
         "들이기는 30초입니다.", "섭씨", "92", quote=True),
    Case("시티 투어 비용은 원화로 얼마인가요?", TOUR_KO, "45,000원", "35달러"),
    Case("시티 투어 비용은 달러로 얼마인가요?", TOUR_KO, "35달러", "45,000원"),
    Case("텀블러를 가져오면 원화로 얼마를 할인받나요?", TUMBLER_KO, "300원", "1달러"),
    Case("어린이 입장료는 얼마인가요?", TICKETS_KO, "7,000원", "15,000원"),
    Case("성인 입장료는 얼마인가요?", TICKETS_KO, "15,000원", "7,000원"),
    Case("경로 우대 수영장 이용료는 얼마인가요?", POOL_KO, "3,000원", "6,000원"),
    Case("성인 수영장 이용료는 얼마인가요?", POOL_KO, "6,000원", "3,000원"),
    Case("회원의 워크숍 참가비는 얼마인가요?", WORKSHOP_KO, "25,000원", "40,000원"),
    Case("비회원의 워크숍 참가비는 얼마인가요?", WORKSHOP_KO, "40,000원", "25,000원"),
    Case("주말에는 열차가 몇 대 운행하나요?", TRAINS_KO, "12대", "40대"),
    Case("평일에는 열차가 몇 대 운행하나요?", TRAINS_KO, "40대", "12대"),
    Case("부산 매장은 몇 시에 문을 여나요?", STORES_KO, "오전 7시", "오전 8시"),
    Case("서울 매장은 몇 시에 문을 여나요?", STORES_KO, "오전 8시", "오전 7시"),
    Case("인천 사무실 임대료는 얼마인가요?", RENT_KO, "140만 원", "90만 원"),
    Case("대구 사무실 임대료는 얼마인가요?", RENT_KO, "90만 원", "140만 원"),
    Case("제주를 찾은 관광객은 몇 명인가요?", VISITORS_KO, "1,300만 명", "200만 명"),
    Case("부산을 찾은 관광객은 몇 명인가요?", VISITORS_KO, "200만 명", "1,300만 명"),
    Case("해안 산책로는 몇 킬로미터인가요?", TRAIL_KO, "19킬로미터", "12마일"),
    Case("해안 산책로는 몇 마일인가요?", TRAIL_KO, "12마일", "19킬로미터"),
    Case("시간제 바리스타의 시급은 얼마인가요?", WAGES_KO, "10,500원", "12,000원"),
    Case("정규직 바리스타의 시급은 얼마인가요?", WAGES_KO, "12,000원", "10,500원"),
    Case("계약 해지는 얼마나 전에 통보해야 하나요?", CANCELLATION_KO, "2주", "30일"),
    Case("계약 해지 통보 기간은 얼마나 되나요?", CANCELLATION_KO, "2주", "30"),
    Case("제품 보증 기간은 얼마나 되나요?", "제품 보증 기간은 2년입니다. 보증 수리는 최대 14일이 "
         "걸립니다.", "2년", "14개월"),
    Case("카페 라떼는 얼마인가요?", _menu_row("Cafe latte"), "4800 (price_krw)", "4800달러"),
    Case("바닐라 라떼는 얼마인가요?", VANILLA_ROW, "5500 (가격(원))", "5500달러"),
    # a name the documents do not hold: a person, a place, an organisation
    Case("경복궁의 설계를 맡은 사람은 누구인가요?", "경복궁은 1395년에 완공되었다. 경복궁의 설계는 "
         "정도전이 맡았다.", "정도전", "경복궁의 설계는 김대신이 맡았다"),
    Case("훈민정음을 창제한 왕은 누구인가요?", "훈민정음은 1443년 세종이 창제했다. 훈민정음은 "
         "1446년에 반포되었다.", "세종", "훈민정음은 1443년 태종이 창제했다"),
    Case("회사의 본사는 어느 도시에 있나요?", OFFICES_KO, "대전", "회사의 본사는 청주에 있습니다"),
    Case("이 행사를 후원한 기관은 어디인가요?", SPONSOR_KO, "한국관광공사",
         "이 행사는 한국문화재단이 후원했습니다"),
]

CASES = ENGLISH + KOREAN


@cache
def case_index() -> KeywordIndex:
    """A BM25 index of every case's document, as docent builds one: its IDF weights the
    question's words when evidence is chosen. The questions are indexed too, standing in
    for a larger corpus, where "how many" and "얼마인가요" are common words."""
    import bm25s

    from core.index.keyword import BM25_B, BM25_K1, KeywordIndex
    from core.index.tokens import keyword_tokens
    from core.tuning import TUNING

    documents = sorted({case.document for case in CASES} | {case.question for case in CASES})
    korean = TUNING.keyword_korean
    retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B)
    retriever.index([keyword_tokens(d, korean) for d in documents], show_progress=False)
    return KeywordIndex(version="cases", ids=[str(i) for i in range(len(documents))],
                        korean=korean, retriever=retriever)


def judged_right(case: Case, shown: dict) -> bool:
    """Whether what the reader is shown answers the case right: a quote case's evidence
    quoted (or the question refused) with no number given as its answer; otherwise an
    answer, extracted span or quote that holds `right` and not `wrong` (case aside: "Four
    minutes")."""
    answer, kind = shown["answer"].casefold(), shown["answer_kind"]
    right, wrong = case.right.casefold(), case.wrong.casefold()
    if case.quote:
        return kind in ("evidence", "refusal") and (kind == "refusal" or right in answer)
    return kind != "refusal" and right in answer and wrong not in answer
