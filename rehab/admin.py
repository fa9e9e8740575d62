from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.urls import reverse
from django_otp.admin import OTPAdminSite

from .forms import EmailAddressField
from .models import AuditEvent, Clinic, ClinicSettingsChange, User
from .services import user_queue_set_password_email


class ClinicAdminSite(OTPAdminSite):
    """The admin opens every clinic's data: it admits only users who confirmed a two-factor code this session
    (SessionPolicyMiddleware sends them to set it up or to confirm it first). It has no log-in form of its own: the
    app's one log-in page, with its lockout and its limits, is the way in."""

    def login(self, request, extra_context=None):
        return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=self.name))


admin.site.__class__ = ClinicAdminSite


class SettingsChangeInline(admin.TabularInline):
    model = ClinicSettingsChange
    extra = 0
    can_delete = False
    readonly_fields = ("changed_by", "changed_at", "changes")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    """Superusers create clinics here; then add the first admin under Users (role: clinic admin) and
    send them the set-password link with the action on the user list, or use `manage.py createclinic`."""

    list_display = ("name", "time_zone", "created_at")
    search_fields = ("name",)
    inlines = [SettingsChangeInline]


@admin.action(description="Email a link to set the password")
def send_set_password_link(modeladmin, request, queryset):
    for user in queryset.filter(is_active=True):
        user_queue_set_password_email(user=user)
    modeladmin.message_user(request, "Set-password links are on their way.")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    actions = [send_set_password_link]
    formfield_overrides = {models.EmailField: {"form_class": EmailAddressField}}  # the address as its login name
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "role", "clinic", "is_active")
    list_filter = ("role", "clinic", "is_active", "is_superuser")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "role", "clinic")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "clinic", "password1", "password2")}),)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is for reading."""

    list_display = ("at", "user", "clinic", "action", "what", "object_id", "patient_id", "ip_address")
    list_filter = ("clinic", "action")
    search_fields = ("what", "path", "user__email")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
