from django.contrib import admin

from .models import Episode, Patient, ThresholdChange


class ThresholdChangeInline(admin.TabularInline):
    model = ThresholdChange
    extra = 0
    can_delete = False
    readonly_fields = ("previous_value", "value", "reason", "changed_by", "changed_at")

    def has_add_permission(self, request, obj=None):
        return False


class EpisodeInline(admin.TabularInline):
    model = Episode
    extra = 0
    can_delete = False
    fields = ("referral_date", "referrer", "onset_date", "discharged_on", "discharge_reason", "discharged_by")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("__str__", "clinic", "physiotherapist", "onset_date", "pain_threshold")
    list_filter = ("clinic",)
    search_fields = ("user__first_name", "user__last_name", "user__email")
    list_select_related = ("user", "clinic", "physiotherapist")
    raw_id_fields = ("user", "physiotherapist")
    readonly_fields = ("pain_threshold",)
    inlines = [ThresholdChangeInline, EpisodeInline]
