from checkins.templatetags.checkin_tags import pain_table_rows


def test_pain_table_rows_one_row_per_report_with_the_label_escaped():
    html = str(
        pain_table_rows(
            [
                {"label": "3 Nov", "pain": 2, "pain_now": 1, "threshold": 3},
                {"label": "<b>4 Nov</b>", "pain": 5, "pain_now": 4, "threshold": 4},
            ]
        )
    )
    assert html == (
        "<tr><td>3 Nov</td><td>2</td><td>1</td><td>3</td></tr>"
        "<tr><td>&lt;b&gt;4 Nov&lt;/b&gt;</td><td>5</td><td>4</td><td>4</td></tr>"
    )


def test_pain_table_rows_of_no_reports_is_empty():
    assert str(pain_table_rows([])) == ""
