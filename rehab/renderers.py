"""How forms draw their widgets: Django's own widget templates through Jinja2, anything else through Django's
template engine.

Through Django's engine every <option> of a select is a template of its own; through Jinja2 the same widget
templates (Django ships both) draw the same markup in about two thirds of the time (the flag queue's filter bar,
measured in bench/, issue 23). Widgets whose templates exist only for Django's engine, such as the admin's, are
drawn by it as before.
"""

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FormRenderer(BaseRenderer):
    def __init__(self):
        self._jinja2 = Jinja2()
        self._django = DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self._jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
