"""Credit subjects (Art. 3) and their relations (Art. 10, 26)."""

from __future__ import annotations

import uuid

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from pubcredit.subjects.lookups import ContainsIgnoringCase, NameBigrams


class SubjectKind(models.TextChoices):
    LEGAL_PERSON = "legal_person", _("法人")
    UNINCORPORATED_ORG = "unincorporated_org", _("非法人组织")
    NATURAL_PERSON = "natural_person", _("自然人")


ORGANIZATION_KINDS = (SubjectKind.LEGAL_PERSON, SubjectKind.UNINCORPORATED_ORG)


class Subject(models.Model):
    """A legal person, unincorporated organisation or natural person.

    Organisations are keyed by their USCC; persons by a keyed hash of the resident ID number,
    which itself is stored only encrypted (``resident_id_enc``) and, for display, masked.
    """

    public_ref = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("公开编号"))
    kind = models.CharField(_("主体类别"), max_length=24, choices=SubjectKind.choices)
    name = models.CharField(_("名称/姓名"), max_length=200)
    # Unique by Meta constraints, not ``unique=True``: Django adds a second ``varchar_pattern_ops``
    # index to every unique or indexed CharField for LIKE 'prefix%', which no query here uses
    # and every new subject paid for (codes are looked up whole).
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, null=True, blank=True)
    resident_id_hash = models.CharField(max_length=64, null=True, blank=True, editable=False,
                                        verbose_name=_("身份证号码检索摘要"))
    resident_id_enc = models.BinaryField(null=True, blank=True, editable=False, verbose_name=_("身份证号码（加密）"))
    resident_id_masked = models.CharField(_("身份证号码（脱敏）"), max_length=18, blank=True, editable=False)
    region_code = models.CharField(_("行政区划代码"), max_length=6, blank=True)
    verified = models.BooleanField(_("已核验"), default=True)
    source = models.CharField(_("来源"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    class Meta:
        verbose_name = _("信用主体")
        verbose_name_plural = _("信用主体")
        constraints = [
            models.UniqueConstraint(fields=["uscc"], name="subject_uscc_unique"),
            models.UniqueConstraint(fields=["resident_id_hash"], name="subject_resident_id_hash_unique"),
            models.CheckConstraint(
                name="subject_key_matches_kind",
                condition=(
                    models.Q(kind="natural_person", uscc__isnull=True, resident_id_hash__isnull=False)
                    | (~models.Q(kind="natural_person") & models.Q(uscc__isnull=False, resident_id_hash__isnull=True))
                ),
            ),
        ]
        # No index on region_code alone: nothing looks subjects up by region without their kind.
        indexes = [
            GinIndex(fields=["name"], name="subject_name_trgm", opclasses=["gin_trgm_ops"]),
            # Two-character name searches (no trigram); organisations only, as the search is.
            GinIndex(NameBigrams("name"), name="subject_name_bigram",
                     condition=models.Q(kind__in=[k.value for k in ORGANIZATION_KINDS])),
            models.Index(fields=["kind", "region_code"], name="subject_kind_region_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_code})"

    @property
    def is_person(self) -> bool:
        return self.kind == SubjectKind.NATURAL_PERSON

    @property
    def display_code(self) -> str:
        """The code as shown to readers not entitled to a person's full ID number."""
        return self.resident_id_masked if self.is_person else (self.uscc or "")



# ``Subject.objects.filter(name__ilike_contains=…)``: the name search, served by ``subject_name_trgm``.
Subject._meta.get_field("name").register_lookup(ContainsIgnoringCase)


class RelationRole(models.TextChoices):
    LEGAL_REP = "legal_rep", _("法定代表人")
    PRINCIPAL = "principal", _("主要负责人")
    ACTUAL_CONTROLLER = "actual_controller", _("实际控制人")
    RESPONSIBLE_PERSON = "responsible_person", _("直接责任人")
    DIRECTOR = "director", _("董事")
    SUPERVISOR = "supervisor", _("监事")
    MANAGER = "manager", _("高级管理人员")
    BRANCH = "branch", _("分支机构")


PERSON_ROLES = tuple(r for r in RelationRole if r != RelationRole.BRANCH)


class SubjectRelation(models.Model):
    """An organisation's relation to a person (roles of Art. 10, 26) or to a branch."""

    organization = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="relations",
                                     verbose_name=_("组织"))
    related = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="related_to",
                                verbose_name=_("关联主体"))
    role = models.CharField(_("关系"), max_length=24, choices=RelationRole.choices)
    since = models.DateField(_("起始日期"), null=True, blank=True)
    until = models.DateField(_("终止日期"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("主体关系")
        verbose_name_plural = _("主体关系")
        constraints = [
            models.UniqueConstraint(fields=["organization", "related", "role"], name="relation_unique"),
            models.CheckConstraint(name="relation_not_self", condition=~models.Q(organization=models.F("related"))),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.role} {self.related_id}"


class NameChange(models.Model):
    """A subject's former name, kept so that records under the old name still match."""

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="name_changes",
                                verbose_name=_("信用主体"))
    old_name = models.CharField(max_length=200, verbose_name=_("原名称"))
    new_name = models.CharField(max_length=200, verbose_name=_("新名称"))
    changed_at = models.DateTimeField(auto_now_add=True, verbose_name=_("变更时间"))
    source = models.CharField(max_length=100, blank=True, verbose_name=_("来源"))

    class Meta:
        verbose_name = _("名称变更")
        verbose_name_plural = _("名称变更")

    def __str__(self) -> str:
        return f"{self.old_name} → {self.new_name}"
