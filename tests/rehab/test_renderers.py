"""rehab.renderers: Django's widget templates through Jinja2, the admin's through Django's engine."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer

from rehab.renderers import FormRenderer


def test_the_project_draws_forms_with_it():
    assert isinstance(get_default_renderer(), FormRenderer)


def test_djangos_own_widgets_are_drawn_by_jinja2_with_the_same_markup():
    renderer = FormRenderer()
    assert type(renderer.get_template("django/forms/widgets/select.html")).__module__.endswith("jinja2")
    field = forms.ChoiceField(choices=[("a", "<A & B>"), ("b", "B")])
    widget = field.widget
    mine = widget.render("pick", "b", attrs={"id": "id_pick"}, renderer=renderer)
    djangos = widget.render("pick", "b", attrs={"id": "id_pick"}, renderer=DjangoTemplates())
    assert " ".join(mine.split()) == " ".join(djangos.split())
    assert "&lt;A &amp; B&gt;" in mine and '<option value="b" selected>' in mine


@pytest.mark.django_db
def test_the_admins_widgets_are_drawn_by_djangos_engine():
    from django.contrib import admin
    from django.contrib.admin.widgets import ForeignKeyRawIdWidget

    from patients.models import Patient

    widget = ForeignKeyRawIdWidget(Patient._meta.get_field("physiotherapist").remote_field, admin.site)
    html = widget.render("physiotherapist", None, renderer=FormRenderer())
    assert 'name="physiotherapist"' in html and "vForeignKeyRawIdAdminField" in html
