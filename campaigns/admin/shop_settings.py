"""The merchant's settings page: the shop's own settings in a merchant's words, saved through
`shop_settings_update`; a refusal keeps what was typed. Ops-only fields are not on it."""

from datetime import time

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from campaigns.admin.scoping import merchant_shop
from campaigns.models import Shop
from campaigns.services.senders import shop_senders
from campaigns.services.shop_settings import MERCHANT_SETTINGS, shop_settings_update, time_zone_known

WINDOW_PRESETS = {"8-21": (time(8), time(21)), "9-20": (time(9), time(20)), "10-18": (time(10), time(18)),
                  "all": (time(0), time(0))}
WINDOW_CHOICES = [("8-21", "8:00 to 21:00"), ("9-20", "9:00 to 20:00"), ("10-18", "10:00 to 18:00"),
                  ("all", "Any time of day (the law of a number's place still applies)"),
                  ("custom", "Custom: the times below")]
CAP_CHOICES = [("", "No limit"), ("12", "At most one text every 12 hours"), ("24", "At most one text a day"),
               ("72", "At most one text every 3 days"), ("168", "At most one text a week")]


class ShopSettingsForm(forms.ModelForm):
    window = forms.ChoiceField(label="Sending window", choices=WINDOW_CHOICES,
                               help_text="When texts may arrive, in each contact's local time; outside it they "
                                         "wait until it opens.")
    frequency_cap_hours = forms.TypedChoiceField(
        label="Frequency limit", choices=CAP_CHOICES, coerce=int, empty_value=None, required=False,
        help_text="Contacts texted more recently than this are left out of a campaign.")
    sender = forms.ChoiceField(label="Default sender", required=False)

    class Meta:
        model = Shop
        fields = MERCHANT_SETTINGS
        labels = {"name": "Shop name", "quiet_hours_start": "Window opens (custom)",
                  "quiet_hours_end": "Window closes (custom)", "append_opt_out": "Add opt-out language to every text",
                  "opt_out_text": "Opt-out language", "help_text": "Answer to HELP",
                  "stop_confirmation_text": "Answer to STOP", "timezone": "Time zone",
                  "default_region": "Country of numbers written without +"}
        help_texts = {"append_opt_out": "Recommended, and required in many countries: e.g. “Reply STOP to opt "
                                        "out”. It is in every preview and counted in the cost.",
                      "opt_out_text": "Blank: “Reply STOP to opt out”.",
                      "timezone": "Times in this console are in it, e.g. America/New_York or Europe/Athens.",
                      "default_region": "Two letters, e.g. US or GR."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shop = self.instance
        self.fields["sender"].choices = [("", "The default of the service")] + [
            (s, s) for s in shop_senders(shop)]
        current = (shop.quiet_hours_start, shop.quiet_hours_end)
        self.initial["window"] = next((k for k, v in WINDOW_PRESETS.items() if v == current), "custom")
        self.initial["frequency_cap_hours"] = "" if shop.frequency_cap_hours is None else str(
            shop.frequency_cap_hours)
        if str(shop.frequency_cap_hours or "") not in dict(CAP_CHOICES):
            self.fields["frequency_cap_hours"].choices = [
                *CAP_CHOICES, (str(shop.frequency_cap_hours), f"Every {shop.frequency_cap_hours} hours")]

    def clean_timezone(self):
        name = self.cleaned_data["timezone"].strip()
        if not time_zone_known(name):
            raise ValidationError(f"{name!r} is not a time zone name such as America/New_York.")
        return name

    def clean(self):
        cleaned = super().clean()
        preset = WINDOW_PRESETS.get(cleaned.get("window"))
        if preset:
            cleaned["quiet_hours_start"], cleaned["quiet_hours_end"] = preset
        return cleaned


def settings_view(model_admin, request):
    """The signed-in merchant's shop settings; a superuser edits shops on the shop pages instead."""
    shop = merchant_shop(request)
    if shop is None:
        raise PermissionDenied
    form = ShopSettingsForm(request.POST or None, instance=Shop.objects.get(id=shop.id))
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in MERCHANT_SETTINGS if name in form.cleaned_data}
        try:
            shop_settings_update(shop=shop, data=data)
        except ValidationError as exc:
            for name, texts in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, texts)
        else:
            messages.success(request, "Settings saved.")
            return HttpResponseRedirect(request.path)
    context = {**model_admin.admin_site.each_context(request), "opts": Shop._meta, "title": "Shop settings",
               "form": form}
    return TemplateResponse(request, "admin/campaigns/shop_settings.html", context)
