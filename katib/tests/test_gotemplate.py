import pytest

from hpo_rig.gotemplate import GoTemplateError, render_go_template

DATA = {
    "Trial": "t-1",
    "NameSpace": "ns",
    "HyperParameters": [{"Name": "--lr", "Value": "0.1"}, {"Name": "--opt", "Value": "adam"}],
}


def test_fields_and_nested_blocks_with_trim_markers() -> None:
    template = (
        "name: {{.Trial}}/{{ .NameSpace }}\nargs:\n"
        "{{- with .HyperParameters}}\n  {{- range .}}\n  - {{.Name}}={{.Value}} ({{$.Trial}})"
        "\n  {{- end}}\n{{- end}}\n"
    )
    assert render_go_template(template, DATA) == (
        "name: t-1/ns\nargs:\n  - --lr=0.1 (t-1)\n  - --opt=adam (t-1)\n"
    )


def test_empty_with_takes_the_else_branch_and_comments_vanish() -> None:
    template = "{{/* note */}}{{with .HyperParameters}}some{{else}}none{{end}}"
    assert render_go_template(template, {"HyperParameters": []}) == "none"


def test_right_trim_eats_following_whitespace() -> None:
    assert render_go_template("a {{.Trial -}}   \n b", DATA) == "a t-1b"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{.Missing}}", "field .Missing not found"),
        ("{{range .HyperParameters}}x", "unclosed {{range}} block"),
        ("{{end}}", "without a block"),
        ('{{printf "%s" .Trial}}', "unsupported action"),
        ("{{else}}", "outside a block"),
    ],
)
def test_unsupported_or_broken_templates_are_refused(template: str, message: str) -> None:
    with pytest.raises(GoTemplateError, match=message):
        render_go_template(template, DATA)
