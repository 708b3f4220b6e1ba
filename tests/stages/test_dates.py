"""The dates stage: finding temporal expressions and resolving them against the publication date."""

import inspect

import pytest

from sourcetrace.output.schema import to_dict, validate
from sourcetrace.pipeline import PipelineError, build_pipeline, run
from sourcetrace.stages import dates as dates_stage
from sourcetrace.stages.ingest import from_text

STAGES = build_pipeline(["segment", "dates"])


@pytest.fixture
def dates_of():
    """text, published -> [(span text, value, year_resolved, granularity)], checking every span."""

    def _dates(text, published=None):
        doc = run(from_text(text, published=published), STAGES)
        assert not doc.warnings, doc.warnings
        for d in doc.dates:
            assert doc.text[d.span.start:d.span.end] == d.span.text
        return [(d.span.text, d.value, d.year_resolved, d.granularity) for d in doc.dates]

    return _dates


def values(found):
    return {text: value for text, value, _, _ in found}


# --- the seed article ---------------------------------------------------------------------------


def test_seed_without_published_date_keeps_the_year_unknown(dates_of, seed_text):
    assert dates_of(seed_text) == [
        ("April 28th", "XXXX-04-28", False, "day"),
        ("April 30th", "XXXX-04-30", False, "day"),
    ]


def test_seed_with_published_date_resolves_the_year(dates_of, seed_text):
    assert dates_of(seed_text, "2025-05-02") == [
        ("April 28th", "2025-04-28", True, "day"),
        ("April 30th", "2025-04-30", True, "day"),
    ]


def test_seed_output_is_valid_json_contract(seed_text):
    doc = run(from_text(seed_text, published="2025-05-02"), STAGES)
    data = to_dict(doc)
    validate(data)
    for d in data["dates"]:
        assert seed_text[d["start"]:d["end"]] == d["text"]


# --- month and day without a year ---------------------------------------------------------------


def test_past_tense_date_rolls_back_to_the_previous_year(dates_of):
    found = dates_of("On December 28, Ukraine said it had killed or wounded more than 1,500 troops.",
                     "2025-01-05")
    assert found == [("December 28", "2024-12-28", True, "day")]


def test_future_tense_date_rolls_forward_to_the_next_year(dates_of):
    found = dates_of("European leaders will meet in Brussels on January 10, diplomats said on Friday. "
                     "The last such meeting took place on December 12.", "2024-12-20")
    assert values(found) == {"January 10": "2025-01-10", "Friday": "2024-12-20",
                             "December 12": "2024-12-12"}


def test_tense_is_read_per_clause(dates_of):
    found = dates_of("Ukraine and Russia will hold talks on Wednesday, Zelensky said on Saturday.",
                     "2025-07-21")
    assert values(found) == {"Wednesday": "2025-07-23", "Saturday": "2025-07-19"}


def test_range_end_follows_its_start(dates_of):
    found = dates_of("Moscow has declared a ceasefire from May 8 to May 10.", "2025-05-02")
    assert values(found) == {"May 8": "2025-05-08", "May 10": "2025-05-10"}


def test_explicit_dates_and_abbreviations(dates_of):
    found = dates_of("The bridge was damaged on October 8, 2022. On Sept. 13, missiles struck. "
                     "The deal signed on 9 May 2025 expires on Dec 31, 2027.", "2023-09-15")
    assert values(found) == {"October 8, 2022": "2022-10-08", "Sept. 13": "2023-09-13",
                             "9 May 2025": "2025-05-09", "Dec 31, 2027": "2027-12-31"}
    assert all(resolved for _, _, resolved, _ in found)


# --- weekdays -----------------------------------------------------------------------------------


def test_weekday_equal_to_publication_day_is_the_publication_day(dates_of):
    # 2024-11-18 is a Monday.
    found = dates_of("U.S. officials confirmed on Monday that Kyiv may use ATACMS.", "2024-11-18")
    assert found == [("Monday", "2024-11-18", True, "day")]
    found = dates_of("The ministers will meet on Monday.", "2024-11-18")
    assert found == [("Monday", "2024-11-18", True, "day")]


def test_weekday_follows_the_tense(dates_of):
    # 2025-02-10 is a Monday.
    found = dates_of("Vance will meet Zelensky on Friday. Trump said on Sunday that talks had begun.",
                     "2025-02-10")
    assert values(found) == {"Friday": "2025-02-14", "Sunday": "2025-02-09"}


def test_last_thursday_is_in_the_previous_iso_week(dates_of):
    # 2024-12-02 is a Monday; the Thursday before is 2024-11-28.
    found = dates_of("Russia struck energy infrastructure last Thursday.", "2024-12-02")
    assert found == [("last Thursday", "2024-11-28", True, "day")]


def test_this_friday_is_in_the_publication_week(dates_of):
    # 2024-04-09 is a Tuesday.
    assert dates_of("Zelensky will visit Vilnius this Friday.", "2024-04-09") == [
        ("this Friday", "2024-04-12", True, "day")]


def test_weekday_in_a_name_is_not_a_date(dates_of):
    assert dates_of("Black Friday sales were strong, the Sunday Times reported.", "2025-11-30") == []


# --- relative expressions -----------------------------------------------------------------------


def test_last_week_is_an_iso_week(dates_of):
    found = dates_of("Russian forces advanced last week. Replacements arrive next week.", "2024-09-10")
    assert found == [("last week", "2024-W36", True, "week"), ("next week", "2024-W38", True, "week")]


def test_iso_week_uses_the_iso_year(dates_of):
    assert values(dates_of("Talks stalled last week.", "2025-01-02")) == {"last week": "2024-W52"}
    assert values(dates_of("Talks resume this week.", "2024-12-30")) == {"this week": "2025-W01"}


def test_earlier_this_month(dates_of):
    found = dates_of("North Korean troops began arriving in Russia earlier this month.", "2024-10-18")
    assert found == [("earlier this month", "2024-10", True, "month")]


def test_days_months_and_years_around_publication(dates_of):
    found = dates_of("G7 leaders gather tomorrow. Ministers met last month. The conference ended "
                     "yesterday. Spending rose last year. Two years ago, the dam was destroyed.",
                     "2024-06-12")
    assert values(found) == {"tomorrow": "2024-06-13", "last month": "2024-05", "yesterday": "2024-06-11",
                             "last year": "2023", "Two years ago": "2022"}


def test_the_ninth_takes_the_month_the_tense_points_to(dates_of):
    found = dates_of("Russia and Ukraine exchanged prisoners on the 9th, the third swap.", "2025-06-12")
    assert found == [("the 9th", "2025-06-09", True, "day")]
    found = dates_of("Troops first came under fire on the 29th. Zelensky will address the "
                     "European Parliament on the 19th, the 1,000th day of the war.", "2024-11-04")
    assert values(found) == {"the 29th": "2024-10-29", "the 19th": "2024-11-19"}


def test_months_years_and_parts(dates_of):
    found = dates_of("The counteroffensive, launched in mid-2023, had stalled by November. The warrant "
                     "was issued in March 2023. Kyiv expects F-16s in July. The moratorium expires "
                     "in mid-April. Troops have been fighting since 2022.", "2024-04-09")
    assert values(found) == {"mid-2023": "2023", "November": "2023-11", "March 2023": "2023-03",
                             "July": "2024-07", "mid-April": "2024-04", "2022": "2022"}
    grans = {text: gran for text, _, _, gran in found}
    assert grans["mid-2023"] == "year" and grans["mid-April"] == "month"


def test_phrases_anchored_to_the_narrative(dates_of):
    found = dates_of("Drones entered Polish airspace on September 10. NATO responded two days later.",
                     "2025-09-30")
    assert values(found) == {"September 10": "2025-09-10", "two days later": "2025-09-12"}
    found = dates_of("Drones hit the refinery on Saturday. A jet patrolled the next morning.", "2025-10-06")
    assert values(found) == {"Saturday": "2025-10-04", "the next morning": "2025-10-05"}
    found = dates_of("Three years ago today, Russian troops crossed into Ukraine.", "2025-02-24")
    assert found == [("Three years ago today", "2022-02-24", True, "day")]


def test_holidays_as_time_references(dates_of):
    assert values(dates_of("A missile struck Sumy on Palm Sunday.", "2025-04-15")) == {
        "Palm Sunday": "2025-04-13"}
    assert values(dates_of("Kyiv hopes to have a framework agreed before Christmas.", "2025-12-01")) == {
        "Christmas": "2025-12-25"}
    # a holiday named as an event, not as a time
    assert dates_of("Russia marked Victory Day with a parade.", "2024-05-09") == []


# --- not dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Drone footage showed a T-72B3 Obr. 2016 tank burning near Sudzha.",
        "The 155th Brigade, trained in France, suffered heavy losses.",
        "A decision on the 25 million euro demining fund is pending.",
        "Ukraine said it had killed or wounded more than 1,500 troops.",
        "Officials claimed that a Su-57 had shot down a Ukrainian Su-27.",
        '"We are running out of interceptors," a spokesman said.',
        "Officials warned that the strikes may continue.",
        "Crowds may march with portraits of relatives.",
        '"March on, but carefully," an official said.',
        "The EU plans to adopt its 19th sanctions package.",
        "They marked the 80th anniversary with a 30-day ceasefire and a 28-point plan.",
        "The reservoir reached a 30-year high, and 2000 troops were sent.",
        "At the commemoration of the 9/11 attacks, he spoke for two hours.",
    ],
)
def test_numbers_and_words_that_are_not_dates(dates_of, text):
    assert dates_of(text, "2024-08-20") == []


# --- without a publication date -----------------------------------------------------------------


def test_without_published_relative_expressions_are_flagged_unresolved(dates_of):
    found = dates_of("The attack came yesterday, a week after talks on Monday, and the 2025 budget was "
                     "passed in March 2023. A second wave hit on April 4 and in mid-April.")
    assert found == [
        ("yesterday", "XXXX", False, "day"),
        ("Monday", "XXXX", False, "day"),
        ("2025", "2025", True, "year"),
        ("March 2023", "2023-03", True, "month"),
        ("April 4", "XXXX-04-04", False, "day"),
        ("mid-April", "XXXX-04", False, "month"),
    ]


def test_without_published_anchored_phrases_keep_the_month(dates_of):
    found = dates_of("Drones entered Polish airspace on September 10. NATO responded two days later.")
    assert values(found) == {"September 10": "XXXX-09-10", "two days later": "XXXX-09-12"}


# --- contract -----------------------------------------------------------------------------------


def test_spans_are_sorted_non_overlapping_and_consistent():
    text = ("On Monday, three years ago today, since mid-2023 and on the 9th, last week and "
            "earlier this month; Sept. 11, 2001; from May 8 to May 10; \"since 2022\".")
    doc = run(from_text(text, published="2025-06-16"), STAGES)
    spans = [d.span for d in doc.dates]
    assert spans == sorted(spans, key=lambda s: s.start)
    for a, b in zip(spans, spans[1:]):
        assert a.end <= b.start
    for s in spans:
        assert text[s.start:s.end] == s.text
    validate(to_dict(doc))


def test_stage_needs_sentences():
    with pytest.raises(PipelineError):
        build_pipeline(["dates"])


def test_the_machine_clock_is_never_read():
    source = inspect.getsource(dates_stage)
    for call in ("today()", "now(", "utcnow(", "time.time(", "localtime("):
        assert call not in source
