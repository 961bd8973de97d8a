from django import forms


class DecisionForm(forms.Form):
    # The gate's revision when the page was drawn; a decision on an older page is refused.
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    comment = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
