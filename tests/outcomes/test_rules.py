"""The pure rules of outcome measures: each scoring rule against the worked examples of its published scoring
instructions, the change against the MCID at its boundary, and what an instrument file must hold."""

import copy
import json
from datetime import date
from decimal import Decimal

import pytest

from outcomes import rules
from outcomes.instruments import SHIPPED_DIR, TEMPLATES_DIR
from tests.helpers import licensed_definition


def shipped(key: str) -> dict:
    return json.loads((SHIPPED_DIR / f"{key}.json").read_text(encoding="utf-8"))


class TestOswestry:
    """Fairbank and Pynsent's scoring instructions: each section scores 0-5; the total as a percentage of the points
    possible, "16 (total scored) / 50 (total possible) x 100 = 32%", and with one section missed or not applicable,
    of 45: "16 / 45 x 100 = 35.5%"."""

    odi = licensed_definition("odi")

    def answers(self, points: list[int | None]) -> dict:
        return {f"section-{n}": value for n, value in enumerate(points, start=1)}

    def test_all_ten_sections(self):
        points = [2, 2, 1, 2, 2, 1, 2, 2, 1, 1]  # 16 points
        assert rules.score(self.odi, self.answers(points)).value == Decimal("32.00")

    def test_one_section_missed_counts_neither_way(self):
        points = [2, 2, 1, 2, 2, 1, 2, 2, 2, None]  # 16 points over nine sections
        result = rules.score(self.odi, self.answers(points)).value
        assert result == Decimal("35.56")  # the manual prints 35.5, cutting 35.555... short
        assert Decimal("35.5") <= result < Decimal("35.6")

    def test_two_sections_missed_cannot_be_scored(self):
        with pytest.raises(rules.Incomplete, match="at least 9 of the 10 sections"):
            rules.score(self.odi, self.answers([2, 2, 1, 2, 2, 1, 2, 2, None, None]))

    @pytest.mark.parametrize(("points", "expected"), [([0] * 10, "0.00"), ([5] * 10, "100.00")])
    def test_the_ends_of_the_range(self, points, expected):
        assert rules.score(self.odi, self.answers(points)).value == Decimal(expected)

    def test_a_section_not_yet_answered_is_not_a_missed_one(self):
        answers = self.answers([2] * 9)  # the tenth was never shown to the patient
        with pytest.raises(rules.Incomplete, match="1 question is still to answer"):
            rules.score(self.odi, answers)


class TestRolandMorris:
    """Roland and Morris: the score is the number of statements the patient ticks as applying to them today, 0-24."""

    rmdq = licensed_definition("rmdq")

    def answers(self, ticked: set[int]) -> dict:
        return {f"statement-{n}": int(n in ticked) for n in range(1, 25)}

    @pytest.mark.parametrize(
        ("ticked", "expected"), [(set(), 0), ({2, 5, 9, 14, 17, 20, 23}, 7), (set(range(1, 25)), 24)]
    )
    def test_the_count_of_statements_that_apply(self, ticked, expected):
        assert rules.score(self.rmdq, self.answers(ticked)).value == expected

    def test_every_statement_is_answered(self):
        answers = self.answers({1})
        del answers["statement-24"]
        with pytest.raises(rules.Incomplete):
            rules.score(self.rmdq, answers)


class TestStartBack:
    """Keele's scoring: the overall score counts every positive item (0-9), the psychosocial subscore items 5-9
    (0-5); bothersomeness is positive for "very much" and "extremely". Overall 0-3: low risk; 4 or more: medium risk,
    unless the psychosocial subscore is 4 or 5: high risk."""

    tool = licensed_definition("start-back")

    def answers(self, agree: set[int], bothersome: int) -> dict:
        """`bothersome`: 1 not at all, 2 slightly, 3 moderately, 4 very much, 5 extremely."""
        return {**{f"item-{n}": int(n in agree) for n in range(1, 9)}, "item-9": bothersome}

    @pytest.mark.parametrize(
        ("agree", "bothersome", "overall", "psychosocial", "risk"),
        [
            (set(), 1, 0, 0, "low"),
            ({1, 2, 3}, 3, 3, 0, "low"),  # moderately bothersome scores nothing
            ({1, 5, 6}, 4, 4, 3, "medium"),  # very much bothersome scores 1: overall 4, psychosocial 3
            ({1, 2, 3, 4, 5}, 2, 5, 1, "medium"),
            ({5, 6, 7}, 5, 4, 4, "high"),  # the smallest overall score a high risk can have
            ({1, 2, 3, 4, 5, 6, 7, 8}, 5, 9, 5, "high"),
        ],
    )
    def test_overall_psychosocial_and_risk(self, agree, bothersome, overall, psychosocial, risk):
        result = rules.score(self.tool, self.answers(agree, bothersome))
        assert (result.value, result.subscores["psychosocial"], result.category) == (overall, psychosocial, risk)

    @pytest.mark.parametrize(
        ("overall", "psychosocial", "risk"), [(3, 3, "low"), (4, 3, "medium"), (4, 4, "high"), (9, 3, "medium")]
    )
    def test_risk_groups_at_their_boundaries(self, overall, psychosocial, risk):
        assert rules.start_back_risk(overall=overall, psychosocial=psychosocial) == risk


class TestPatientSpecificFunctionalScale:
    psfs = shipped("psfs")

    def test_the_mean_of_the_activities_ratings(self):
        answers = {"activities": ["Socks", "Gardening", "Lifting"], "activity-1": 3, "activity-2": 5, "activity-3": 8}
        assert rules.score(self.psfs, answers).value == Decimal("5.33")

    def test_at_a_follow_up_the_activities_named_at_the_start_are_rated(self):
        named = ["Socks", "Gardening"]
        questions = rules.questions(self.psfs, answers={}, named=named)
        assert [q.key for q in questions] == ["activity-1", "activity-2"]
        assert questions[1].text == "How well can you manage this today: Gardening?"
        assert rules.score(self.psfs, {"activity-1": 6, "activity-2": 9}, named=named).value == Decimal("7.50")

    def test_at_the_start_the_patient_names_them_first(self):
        assert [q.key for q in rules.questions(self.psfs, answers={})] == ["activities"]
        named = rules.questions(self.psfs, answers={"activities": ["Socks", "Walking"]})
        assert [q.key for q in named] == ["activities", "activity-1", "activity-2"]
        with pytest.raises(rules.Incomplete):
            rules.score(self.psfs, {})

    @pytest.mark.parametrize(
        ("names", "error"),
        [
            ([], "Name at least one activity"),
            (["", "  "], "Name at least one activity"),
            (["a", "b", "c", "d", "e", "f"], "at most 5"),
            (["x" * 81], "under 80 characters"),
            (["Socks"], None),
        ],
    )
    def test_naming_the_activities(self, names, error):
        question = rules.questions(self.psfs, answers={})[0]
        found = rules.answer_error(question, names)
        assert (found is None) if error is None else error in found


class TestAnswers:
    pain = shipped("pain-week")

    @pytest.mark.parametrize(
        ("value", "error"),
        [(None, "Choose an answer"), (11, "Choose one of the answers"), (-1, "Choose one"), (4, None)],
    )
    def test_a_choice_must_be_one_of_the_options(self, value, error):
        (question,) = rules.questions(self.pain, answers={})
        found = rules.answer_error(question, value)
        assert (found is None) if error is None else error in found

    def test_an_optional_section_may_be_skipped(self):
        question = rules.questions(licensed_definition("odi"), answers={})[0]
        assert question.optional and rules.answer_error(question, None) is None


class TestChangeAgainstTheMcid:
    @pytest.mark.parametrize(
        ("start", "score", "higher_is_better", "status"),
        [
            (6, 4, False, "reached"),  # pain down by exactly the MCID of 2
            (6, 5, False, "not_reached"),  # one less
            (4, 6, False, "worse"),  # pain up by exactly 2
            (4, 5, False, "not_reached"),  # one less
            ("3.4", "5.4", True, "reached"),  # a mean of ratings, exactly 2 better
            ("3.4", "5.3", True, "not_reached"),
            ("5.4", "3.4", True, "worse"),
            ("5.4", "3.5", True, "not_reached"),
        ],
    )
    def test_the_boundary_is_the_mcid_itself(self, start, score, higher_is_better, status):
        found = rules.change_status(
            start=Decimal(str(start)), score=Decimal(str(score)), mcid=Decimal("2"), higher_is_better=higher_is_better
        )
        assert found == status

    def test_a_screening_tool_has_no_change_status(self):
        assert rules.change_status(start=5, score=2, mcid=None, higher_is_better=False) is None


class TestSchedule:
    def test_follow_ups_every_few_weeks(self):
        assert rules.follow_up_after(date(2026, 1, 5), weeks=4) == date(2026, 2, 2)

    @pytest.mark.parametrize(
        ("today", "expected"),
        [
            (date(2026, 1, 5), date(2026, 2, 2)),  # opened today: the first follow-up
            (date(2026, 2, 2), date(2026, 2, 2)),  # its day: today
            (date(2026, 2, 3), date(2026, 3, 2)),  # a day after: the next
        ],
    )
    def test_the_next_follow_up_on_the_schedule(self, today, expected):
        assert rules.next_follow_up_on(start=date(2026, 1, 5), today=today, weeks=4) == expected


class TestDefinitions:
    @pytest.mark.parametrize("path", sorted(SHIPPED_DIR.glob("*.json")), ids=lambda p: p.stem)
    def test_the_shipped_instruments_are_valid(self, path):
        assert rules.definition_errors(json.loads(path.read_text(encoding="utf-8"))) == []

    @pytest.mark.parametrize("path", sorted(TEMPLATES_DIR.glob("*.json")), ids=lambda p: p.stem)
    def test_a_template_is_refused_until_filled_in(self, path):
        (error,) = rules.definition_errors(json.loads(path.read_text(encoding="utf-8")))
        assert "This file is a template" in error
        assert rules.definition_errors(licensed_definition(path.stem)) == []

    def broken(self, change) -> list[str]:
        data = copy.deepcopy(shipped("pain-week"))
        change(data)
        return rules.definition_errors(data)

    def test_an_unknown_scoring_rule(self):
        errors = self.broken(lambda d: d.update(scoring="median"))
        assert errors == [
            "Unknown scoring rule 'median': the app knows single, sum, mean, psfs, odi, rmdq, start_back."
        ]

    def test_an_item_without_options(self):
        errors = self.broken(lambda d: d["items"][0].pop("options"))
        assert errors == ["Item 1 (pain) has no answer options."]

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda d: d.pop("licence"), "'licence' is missing."),
            (lambda d: d.update(items=[]), "The instrument has no items."),
            (lambda d: d.update(better="up"), "'better' must be 'higher' or 'lower'"),
            (lambda d: d.update(mcid=0), "'mcid' must be a number above 0"),
            (lambda d: d.update(score_range=[0, 5]), "is not what the items score: 0 to 10"),
            (lambda d: d.update(timepoints=["weekly"]), "'timepoints' must list"),
            (lambda d: d.update(key="Pain Week"), "'key' must be lower-case"),
            (lambda d: d["items"][0]["options"].append({"value": 3, "label": "Again"}), "have the same value"),
            (lambda d: d["items"][0]["options"].append({"value": 2.5, "label": "Half"}), "whole-number value"),
            (lambda d: d["items"].append(dict(d["items"][0], key="again")), "exactly one item"),
        ],
    )
    def test_what_else_is_refused(self, change, message):
        assert any(message in error for error in self.broken(change)), self.broken(change)

    def test_start_back_needs_its_psychosocial_items(self):
        data = licensed_definition("start-back")
        data["subscales"] = {"psychosocial": ["item-5", "item-12"]}
        assert rules.definition_errors(data) == [
            "The 'start_back' scoring rule needs subscales.psychosocial: the keys of its psychosocial items."
        ]

    def test_not_an_object(self):
        assert rules.definition_errors([1, 2]) == ["The file must hold one instrument: a JSON object."]
