"""Reward (奖) and prior notice (失信告知) as policy data.

- ``reward_months``: how long a reward measure (the green channel) runs before it ends by itself.
- ``immediate_measures``: the automatic measures that take effect at once, each with its reason; a
  punitive measure any other rule orders is first notified to the agency, which may answer within
  ``case_response_days``. Empty by default: a version says which rules act at once, and why.
- ``CatalogueEntry.rewards``: an item whose recording orders a reward (an honour).

Version 1, the shipped demonstration policy: its two honours reward; the listing suspension, the
grade D restriction and the revocation of open wins act at once, with the reasons below. The
suspension by warnings and the expulsions give prior notice. Other versions keep their meaning.
"""

from django.db import migrations, models

HONOURS = ("HONOUR_TAX_A", "HONOUR_RED_LIST")


def immediate_reasons() -> dict:
    from credit_rules.citations import CREDIT_BASED_SUPERVISION, JUDGMENT_DEBTOR_MEMORANDUM

    return {
        "CR-LST-001": (
            f"失信被执行人名单由人民法院依法认定并公布，已经司法程序；{JUDGMENT_DEBTOR_MEMORANDUM}"
            "限制失信被执行人参与政府采购活动，名单有效期间即应受限，移出名单后自动恢复。"
        ),
        "CR-ESC-004": (
            f"D 级限制是按信用分实施的分级分类监管（{CREDIT_BASED_SUPERVISION}），不是新的失信认定："
            "计入信用分的每条记录在记录时均已告知并可提出异议，等级回升即自动解除。"
        ),
        "CR-ESC-006": (
            "撤销中选资格是对尚未验收项目的处置：项目业主须及时由排名下一位的机构递补或另行确定，"
            "等待陈述申辩期满会延误服务；所依据的严重失信记录本身可依法提出异议。"
        ),
    }


def shipped_policy(apps, schema_editor):
    PolicyVersion = apps.get_model("credit_rules", "PolicyVersion")
    CatalogueEntry = apps.get_model("credit_rules", "CatalogueEntry")
    PolicyVersion.objects.filter(version=1).update(immediate_measures=immediate_reasons())
    CatalogueEntry.objects.filter(policy__version=1, code__in=HONOURS).update(rewards=True)


class Migration(migrations.Migration):

    dependencies = [
        ('credit_rules', '0010_buyer_integrity_and_term_policy'),
    ]

    operations = [
        migrations.AddField(
            model_name='catalogueentry',
            name='rewards',
            field=models.BooleanField(default=False, verbose_name='计为守信激励事由'),
        ),
        migrations.AddField(
            model_name='policyversion',
            name='immediate_measures',
            field=models.JSONField(blank=True, default=dict, help_text='规则代码 → 理由', verbose_name='不经事先告知即生效的自动措施'),
        ),
        migrations.AddField(
            model_name='policyversion',
            name='reward_months',
            field=models.PositiveSmallIntegerField(default=12, verbose_name='守信激励（绿色通道）期限（月）'),
        ),
        migrations.RunPython(shipped_policy, migrations.RunPython.noop),
    ]
