"""Plausible field values for synthetic records, chosen from a field's name, label and type.

The catalog's field schemas drive generation: a new catalog entry gets data without new code.
``compile_field`` runs once per field of a catalog version and does all the matching on the
field's name and label then; the closure it returns runs once per record and only draws
random numbers and formats strings.

* Double-publicity field codes (``XK_*``, ``CF_*``, reference-data.md §1) and the labels of the
  initial catalog get realistic values; anything else falls back to its type and label keywords.
* Values that must agree within one record share a per-record memo (``Context.memo``): one
  penalty "case" (violated provision, facts, legal basis, category, amounts, validity), one
  licence, one related party (name and USCC), and the value drawn for each enum field, keyed by
  its label, so that e.g. an exam's name fits its level whichever field comes first.
* Every value respects its spec: ``allowed`` values, ``max_length``, decimal places and digits,
  ``special_values``, and ``required_if`` (a conditionally required field is filled whenever its
  condition holds). ``validate_generated`` checks one value against its spec.
* ID numbers of persons are only ever emitted through ``mask_resident_id``: the database must
  never hold a resident ID in clear.

Names of public bodies, universities, hospitals, laws and standards are public facts; every
organisation and person is synthetic, and every USCC of a body outside the catalog is synthetic.
"""

from __future__ import annotations

import random
import re
import zlib
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from itertools import accumulate
from typing import Any, TypeVar

from pubcredit.codes import (
    HANGZHOU_DISTRICTS,
    NO_CODE_PLACEHOLDER,
    CodeError,
    compute_org_code_check,
    compute_uscc_check,
    current_region,
    make_org_code,
    make_resident_id,
    mask_resident_id,
    validate_resident_id,
    validate_uscc,
)
from pubcredit.codes.masking import RESIDENT_ID_PATTERN
from pubcredit.collection.rules import add_months

LONG_TERM = date(2099, 12, 31)


@dataclass
class Context:
    """Everything a value may depend on for one record."""

    rng: random.Random
    seq: int
    entry_code: str
    entry_name: str
    subject_kind: str
    subject_name: str
    subject_code: str  # USCC (or the 个体工商户 placeholder), or the resident ID for persons (only ever emitted masked)
    subject_tag: str  # "company", "individual_business", "person", ...
    legal_rep_name: str
    legal_rep_id: str
    dept_name: str
    dept_uscc: str
    dept_abbr: str
    decision: date
    as_of: date
    subject_uscc: str = ""  # an organisation's own USCC, also when subject_code is the placeholder
    subject_founded: date | None = None  # an organisation's founding date
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # values shared by the fields of one record


Gen = Callable[[Context], Any]
T = TypeVar("T")

# ------------------------------------------------------------------------------------------------
# Vocabulary
# ------------------------------------------------------------------------------------------------

DISTRICT_NAMES = dict(HANGZHOU_DISTRICTS)
DISTRICT_CODES = tuple(DISTRICT_NAMES)
ROADS = {
    "330102": ("解放路", "庆春路", "江城路", "望江东路", "钱江路"),
    "330105": ("莫干山路", "湖墅南路", "上塘路", "丽水路", "绍兴路"),
    "330106": ("文三路", "文一西路", "天目山路", "古墩路", "西溪路"),
    "330108": ("江南大道", "滨盛路", "长河路", "网商路", "江陵路"),
    "330109": ("市心路", "金城路", "人民路", "通惠路", "建设一路"),
    "330110": ("五常大道", "良睦路", "龙潭路", "余杭塘路", "文一西路"),
    "330111": ("金桥路", "江滨西大道", "桂花路", "大桥路"),
    "330112": ("钱王大街", "衣锦街", "万马路", "城中街"),
    "330113": ("临平大道", "世纪大道", "迎宾路", "南苑街"),
    "330114": ("学林街", "学源街", "文泽路", "下沙路"),
    "330122": ("迎春南路", "白云源路", "学圣路"),
    "330127": ("新安东路", "环湖北路", "开发路"),
    "330182": ("严州大道", "新安东路", "洋安大道"),
}
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严戴莫孔汤")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华建国志红玉萍文辉力斌宇浩凯晨欣怡佳琪涵轩雨桐诺远嘉俊鹏飞"
         "婷雪梅琳颖慧晓东海波峰健燕丹蕾杭越钧哲睿泽瑶倩")
BRANDS = ("恒", "信", "达", "华", "嘉", "瑞", "鑫", "盛", "德", "安", "和", "泰", "卓", "远", "博", "正", "新",
          "宏", "丰", "源", "锦", "江", "钱", "湖", "越", "之", "联", "创", "通", "海", "云", "启", "明", "诚")
INDUSTRIES = ("科技", "网络科技", "信息技术", "贸易", "餐饮管理", "建筑工程", "物流", "电子商务", "文化传媒",
              "食品", "医药", "服装", "机械制造", "环保科技", "房地产开发", "物业管理", "新能源", "生物科技")

_GENERAL = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
_LICENSED = "（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以审批结果为准）"
#: (keyword in the organisation's name, business scope)
SCOPES = (
    ("网络科技", f"一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；网络技术服务；软件开发；"
                 f"信息系统集成服务{_GENERAL}。"),
    ("信息技术", f"一般项目：信息技术咨询服务；软件开发；数据处理服务；计算机系统服务{_GENERAL}。"),
    ("生物科技", f"一般项目：生物化工产品技术研发；技术服务、技术开发、技术咨询{_GENERAL}。"),
    ("环保科技", f"一般项目：环境保护专用设备销售；污水处理及其再生利用；固体废物治理{_GENERAL}。"),
    ("科技", f"一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广{_GENERAL}。"),
    ("贸易", f"一般项目：货物进出口；技术进出口；日用百货销售；五金产品批发；电子产品销售{_GENERAL}。"),
    ("餐饮", f"许可项目：餐饮服务{_LICENSED}。一般项目：餐饮管理；食品销售（仅销售预包装食品）{_GENERAL}。"),
    ("建筑工程", f"许可项目：建设工程施工；建设工程设计{_LICENSED}。一般项目：园林绿化工程施工；土石方工程施工"
                 f"{_GENERAL}。"),
    ("物流", f"一般项目：普通货物仓储服务（不含危险化学品等需许可审批的项目）；国内货物运输代理；装卸搬运{_GENERAL}。"),
    ("电子商务", f"一般项目：互联网销售（除销售需要许可的商品）；日用百货销售；服装服饰零售{_GENERAL}。"),
    ("文化传媒", f"一般项目：组织文化艺术交流活动；广告设计、代理；广告制作；会议及展览服务{_GENERAL}。"),
    ("食品", f"许可项目：食品生产；食品销售{_LICENSED}。"),
    ("医药", f"许可项目：药品零售；第三类医疗器械经营{_LICENSED}。一般项目：第二类医疗器械销售{_GENERAL}。"),
    ("服装", f"一般项目：服装制造；服装服饰批发；服装服饰零售；针纺织品销售{_GENERAL}。"),
    ("机械制造", f"一般项目：通用设备制造（不含特种设备制造）；机械零件、零部件加工；机械设备销售{_GENERAL}。"),
    ("房地产开发", f"许可项目：房地产开发经营{_LICENSED}。一般项目：物业管理；住房租赁{_GENERAL}。"),
    ("物业管理", f"一般项目：物业管理；停车场服务；家政服务{_GENERAL}。"),
    ("教育咨询", f"一般项目：教育咨询服务（不含涉许可审批的教育培训活动）；信息咨询服务{_GENERAL}。"),
    ("旅游", f"许可项目：旅游业务{_LICENSED}。一般项目：旅行社服务网点旅游招徕、咨询服务{_GENERAL}。"),
    ("新能源", f"一般项目：太阳能发电技术服务；光伏设备及元器件销售；储能技术服务{_GENERAL}。"),
    ("装饰工程", f"许可项目：住宅室内装饰装修{_LICENSED}。一般项目：建筑装饰材料销售{_GENERAL}。"),
    ("汽车服务", f"一般项目：汽车零配件零售；机动车修理和维护；小微型客车租赁经营服务{_GENERAL}。"),
    ("农业开发", f"一般项目：谷物种植；蔬菜种植；水果种植；农业专业及辅助性活动{_GENERAL}。"),
    ("化工", f"一般项目：化工产品销售（不含许可类化工产品）；专用化学产品制造（不含危险化学品）{_GENERAL}。"),
    ("小吃店", f"许可项目：小餐饮{_LICENSED}。"),
    ("面馆", f"许可项目：小餐饮{_LICENSED}。"),
    ("便利店", f"许可项目：食品销售；烟草制品零售{_LICENSED}。一般项目：日用百货销售{_GENERAL}。"),
    ("超市", f"许可项目：食品销售{_LICENSED}。一般项目：日用百货销售；五金产品零售{_GENERAL}。"),
    ("水果店", f"一般项目：新鲜水果零售；食用农产品零售{_GENERAL}。"),
    ("理发店", f"许可项目：理发服务{_LICENSED}。一般项目：美甲服务{_GENERAL}。"),
    ("五金店", f"一般项目：五金产品零售；建筑材料销售{_GENERAL}。"),
    ("服装店", f"一般项目：服装服饰零售；鞋帽零售{_GENERAL}。"),
    ("维修部", f"一般项目：家用电器修理；日用电器修理{_GENERAL}。"),
    ("茶叶店", f"许可项目：食品销售{_LICENSED}。一般项目：食用农产品零售{_GENERAL}。"),
    ("合作社", "组织收购、销售成员种植的农产品；开展与农业生产经营有关的技术培训、技术交流和信息咨询服务。"),
    ("合伙企业", f"一般项目：股权投资；以自有资金从事投资活动{_GENERAL}。"),
    ("律师事务所", "接受委托，提供诉讼代理、非诉讼法律事务、法律顾问等法律服务。"),
    ("培训学校", "非学历文化教育培训（不含学科类培训）。"),
    ("协会", "开展行业调研、业务培训、交流合作和咨询服务，反映会员诉求，维护会员合法权益。"),
    ("社区卫生服务中心", "提供基本医疗服务和基本公共卫生服务。"),
    ("图书馆", "文献信息收藏、借阅和公共阅读服务。"),
    ("文化馆", "组织群众文化活动，开展文艺培训和非物质文化遗产保护。"),
    ("疾病预防控制中心", "疾病预防与控制、突发公共卫生事件处置、健康教育。"),
)
DEFAULT_SCOPE = f"一般项目：技术服务、技术开发、技术咨询{_GENERAL}。"

HANGZHOU_UNIVERSITIES = ("浙江大学", "浙江工业大学", "杭州电子科技大学", "浙江理工大学", "中国计量大学", "浙江工商大学",
                         "杭州师范大学", "浙江中医药大学", "浙江财经大学", "浙江科技大学", "浙江农林大学",
                         "浙江传媒学院", "中国美术学院", "浙江外国语学院", "杭州医学院", "浙江树人学院")
OTHER_UNIVERSITIES = ("复旦大学", "上海交通大学", "同济大学", "南京大学", "东南大学", "武汉大学", "华中科技大学",
                      "中山大学", "四川大学", "山东大学", "厦门大学", "宁波大学", "浙江师范大学", "温州医科大学",
                      "安徽大学", "江西财经大学", "河南大学", "湖南大学")
COLLEGES = ("浙江金融职业学院", "浙江经济职业技术学院", "杭州职业技术学院", "浙江建设职业技术学院",
            "浙江交通职业技术学院", "浙江商业职业技术学院", "杭州科技职业技术学院", "浙江旅游职业学院")
HIGH_SCHOOLS = ("杭州第二中学", "杭州高级中学", "杭州学军中学", "杭州第十四中学", "杭州第四中学", "杭州长河高级中学",
                "萧山中学", "余杭高级中学", "富阳中学", "杭州市中策职业学校")
MIDDLE_SCHOOLS = ("杭州市建兰中学", "杭州市公益中学", "杭州市十三中教育集团（总校）", "杭州市采荷中学",
                  "杭州市萧山区城厢中学", "桐庐县城关初级中学")
MAJORS = ("计算机科学与技术", "软件工程", "电子信息工程", "机械设计制造及其自动化", "土木工程", "会计学", "金融学",
          "国际经济与贸易", "法学", "汉语言文学", "英语", "临床医学", "护理学", "市场营销", "工商管理", "环境工程",
          "建筑学", "电气工程及其自动化", "化学工程与工艺", "数学与应用数学", "物流管理", "新闻学", "视觉传达设计",
          "药学", "中医学")
COLLEGE_MAJORS = ("会计", "电子商务", "机电一体化技术", "护理", "建筑工程技术", "计算机应用技术", "市场营销",
                  "汽车检测与维修技术", "旅游管理", "金融服务与管理")
#: typical age at graduation, for education levels
EDUCATION_AGE = {"博士研究生": 29, "硕士研究生": 25, "大学本科": 22, "大学专科": 21, "高中（中专）": 18,
                 "初中及以下": 15}

HOSPITALS = ("浙江大学医学院附属第一医院", "浙江大学医学院附属第二医院", "浙江大学医学院附属邵逸夫医院",
             "浙江大学医学院附属儿童医院", "浙江大学医学院附属妇产科医院", "浙江省人民医院", "浙江省中医院",
             "杭州市第一人民医院", "杭州市中医院", "杭州市第三人民医院", "杭州市红十字会医院", "杭州市儿童医院",
             "杭州市西溪医院", "杭州市第七人民医院", "杭州市萧山区第一人民医院", "杭州市余杭区第一人民医院",
             "杭州市富阳区第一人民医院", "杭州市临平区第一人民医院", "杭州口腔医院")
PRACTICE_SCOPES = {
    "临床": ("内科专业", "外科专业", "妇产科专业", "儿科专业", "急救医学专业", "全科医学专业", "医学影像和放射治疗专业",
             "眼耳鼻咽喉科专业"),
    "中医": ("中医专业", "中西医结合专业"),
    "口腔": ("口腔专业",),
    "公共卫生": ("公共卫生类别专业",),
}
PRACTICE_CODES = {"临床": "1", "口腔": "2", "公共卫生": "3", "中医": "4"}
LAW_FIRM_FORMS = ("浙江{b}律师事务所", "浙江{b}律师事务所", "北京{b}（杭州）律师事务所", "上海{b}（杭州）律师事务所")
CERT_BODIES = ("中国质量认证中心", "方圆标志认证集团有限公司", "中国船级社质量认证有限公司", "杭州万泰认证有限公司",
               "北京中大华远认证中心", "浙江公信认证有限公司")
#: certification kind -> ((certified object, standard), ...)
CERT_OBJECTS = {
    "管理体系认证": (("质量管理体系", "GB/T 19001-2016/ISO 9001:2015"),
                     ("环境管理体系", "GB/T 24001-2016/ISO 14001:2015"),
                     ("职业健康安全管理体系", "GB/T 45001-2020/ISO 45001:2018"),
                     ("信息安全管理体系", "GB/T 22080-2016/ISO/IEC 27001:2013")),
    "产品认证": (("家用和类似用途电器（电热水壶）", "GB 4706.1-2005；GB 4706.19-2008"),
                 ("塑胶玩具", "GB 6675.1-2014；GB 6675.2-2014"),
                 ("机动车儿童乘员用约束系统", "GB 27887-2011")),
    "服务认证": (("商品售后服务", "GB/T 27922-2011"),),
}
CHARITIES = (("杭州市慈善总会", "1"), ("浙江省慈善联合总会", "1"), ("杭州市红十字会", "1"),
             ("浙江省青少年发展基金会", "3"), ("浙江省教育基金会", "3"), ("杭州市西湖区慈善总会", "1"))
VOLUNTEER_ORGS = ("杭州市志愿者协会", "浙江省青年志愿者协会", "杭州市红十字会志愿服务总队", "杭州市义工联合会")
#: (level, name, awarding body, document prefix, for persons?)
AWARDS = (
    ("国家级", "全国五一劳动奖状", "中华全国总工会", "总工发", False),
    ("国家级", "全国守合同重信用企业", "国家市场监督管理总局", "国市监信发", False),
    ("国家级", "全国五一劳动奖章", "中华全国总工会", "总工发", True),
    ("国家级", "全国先进工作者", "国务院", "国发", True),
    ("省级", "浙江省AAA级守合同重信用企业", "浙江省市场监督管理局", "浙市监信", False),
    ("省级", "浙江省文明单位", "浙江省精神文明建设委员会", "浙文明委", False),
    ("省级", "浙江省劳动模范", "浙江省人民政府", "浙政发", True),
    ("省级", "浙江省五一劳动奖章", "浙江省总工会", "浙工发", True),
    ("市级", "杭州市文明单位", "杭州市精神文明建设委员会", "杭文明委", False),
    ("市级", "杭州市模范集体", "杭州市人民政府", "杭政函", False),
    ("市级", "杭州市劳动模范", "杭州市人民政府", "杭政函", True),
    ("市级", "杭州市五一劳动奖章", "杭州市总工会", "杭工发", True),
    ("市级", "杭州市优秀志愿者", "杭州市志愿服务工作联席会议办公室", "杭志联", True),
)
FEE_SUPPLIERS = {"水费": "杭州市水务集团有限公司", "燃气费": "杭州市燃气集团有限公司",
                 "电费": "国网浙江省电力有限公司杭州供电公司"}
TAX_TYPES_ORG = ("增值税", "增值税", "企业所得税", "城市维护建设税", "房产税", "城镇土地使用税", "印花税", "土地增值税")
TAX_TYPES_PERSON = ("个人所得税", "个人所得税", "增值税", "房产税", "城镇土地使用税")
ORG_FORMS = {
    "company": "有限责任公司（自然人投资或控股）", "branch": "有限责任公司分公司（自然人投资或控股）",
    "partnership": "有限合伙企业", "individual_business": "个体工商户", "cooperative": "农民专业合作社",
    "social_org": "社会团体", "private_non_enterprise": "民办非企业单位", "public_institution": "事业单位",
    "law_firm": "合伙律师事务所",
}
#: dept-name keyword -> abbreviation used in document numbers (杭环罚〔2024〕12号)
DEPT_ABBRS = (
    ("市场监督管理", "市监"), ("生态环境", "环"), ("城市管理", "城管"), ("城乡建设", "建"),
    ("人力资源和社会保障", "人社"), ("民政", "民"), ("公安", "公"), ("税务", "税"), ("教育", "教"),
    ("卫生健康", "卫健"), ("医疗保障", "医保"),
    ("交通运输", "交"), ("司法", "司"), ("科学技术", "科"), ("财政", "财"), ("应急管理", "应急"),
    ("发展和改革", "发改"), ("数据资源", "数据"), ("法院", "法"),
)
PENALTY_AUTHORITIES = (("杭州市市场监督管理局", "市监"), ("杭州市城市管理局", "城管"), ("杭州市生态环境局", "环"),
                       ("杭州市交通运输局", "交"), ("杭州市应急管理局", "应急"))

#: weights of enum values where the first-listed-most-common default would be unrealistic
VALUE_WEIGHTS: dict[str, float] = {
    "国家级": 1, "省级": 3, "市级": 8,
    "国家": 5, "省": 3, "市": 2,
    "就业": 70, "灵活就业": 15, "失业登记": 8, "退休": 7,
    "正常": 90, "欠缴": 8,
    "自然人": 55, "企业法人": 35, "非法人组织": 7, "其他": 3,
    "董事长": 2, "副董事长": 1, "董事": 4, "监事会主席": 1, "监事": 4, "经理": 4, "副经理": 2, "财务负责人": 3,
    "董事会秘书": 1, "其他高级管理人员": 1,
    "社会团体": 5, "民办非企业单位（社会服务机构）": 4, "基金会": 1,
    "全血": 85, "单采血小板": 12, "其他成分血": 3,
    "货币": 80, "物资": 15, "有价证券": 1, "股权": 1, "知识产权": 1,
    "管理体系认证": 6, "产品认证": 3, "服务认证": 1,
    "临床": 70, "中医": 12, "口腔": 10, "公共卫生": 8,
    "专职律师": 80, "兼职律师": 5, "公职律师": 6, "公司律师": 6, "法律援助律师": 3,
    "审批替代型": 5, "容缺受理型": 3, "信用修复型": 1, "行业自律型": 1, "主动型": 2,
    "疫情防控": 4, "抢险救灾": 4, "事故救援": 2, "其他突发事件": 1,
    "职业资格": 3, "职业技能等级": 5, "专业技术职称": 4,
    "城市轨道交通": 6, "公共汽电车": 4, "铁路": 2, "民航": 1, "出租汽车": 1,
    "水费": 4, "燃气费": 3, "电费": 3,
    "博士研究生": 2, "硕士研究生": 8, "大学本科": 35, "大学专科": 25, "高中（中专）": 20, "初中及以下": 10,
    "财政资助项目": 5, "专业技术资格": 4, "国家荣誉": 1,
    "存续（在营、开业、在册）": 90, "存续": 90, "正常执业": 92, "有效": 88, "吊销": 2, "注销": 4, "撤销": 1,
    "迁出": 2, "暂停": 2, "暂停执业": 2, "过期": 3,
}

# --- double-publicity cases -----------------------------------------------------------------


@dataclass(frozen=True)
class _Case:
    """One kind of administrative penalty: what was breached, the facts, the basis, what follows."""

    who: str  # "org", "person" or "any"
    breached: str
    basis: str
    fact: str  # placeholders: {ym} {value} {gain} {n} {area} {inv} {item}
    kinds: tuple[tuple[str, float], ...]  # penalty category (its Chinese label) and weight
    fine: tuple[int, int] = (0, 0)  # yuan, organisations
    fine_person: tuple[int, int] = (0, 0)  # yuan, natural persons
    fine_mode: str = "range"  # "range", "value" (1–3 × goods value), "invest" (1–5 % of investment), "cost"
    items: tuple[str, ...] = ("商品",)
    goods: str = "违法经营的{item}"
    licence: str = ""
    other: str = ""  # content of category 07
    weight: float = 1.0
    shops: bool = True  # also for 个体工商户


_FOOD_LAW = "《中华人民共和国食品安全法》"
_AIR_LAW = "《中华人民共和国大气污染防治法》"
CASES: dict[str, tuple[_Case, ...]] = {
    "市场监管": (
        _Case("any", f"{_FOOD_LAW}第三十四条第（十）项", f"{_FOOD_LAW}第一百二十四条第一款第（五）项",
              "经查，当事人于{ym}在其经营场所销售超过保质期的{item}，货值金额{value}元，违法所得{gain}元",
              (("没收违法所得", 5), ("罚款", 3), ("没收非法财物", 2), ("吊销许可证", 0.2)), (50000, 100000),
              (50000, 100000), items=("预包装饮料", "糕点", "乳制品", "速冻食品", "调味品", "休闲食品"),
              goods="超过保质期的{item}", licence="食品经营许可证", weight=3),
        _Case("any", f"{_FOOD_LAW}第三十五条第一款", f"{_FOOD_LAW}第一百二十二条第一款",
              "经查，当事人未取得食品经营许可，自{ym}起在其经营场所从事{item}，违法经营食品货值金额{value}元，"
              "违法所得{gain}元",
              (("没收违法所得", 6), ("没收非法财物", 2)), (50000, 100000), (50000, 100000),
              items=("预包装食品销售", "散装食品销售", "热食类食品制售"), goods="违法经营的食品", weight=2),
        _Case("any", "《中华人民共和国价格法》第十三条第一款", "《价格违法行为行政处罚规定》第十三条",
              "经查，当事人在其经营场所销售的{n}种商品未按规定明码标价",
              (("警告", 4), ("罚款", 6)), (500, 5000), (50, 500), weight=3),
        _Case("org", "《中华人民共和国广告法》第九条第（三）项", "《中华人民共和国广告法》第五十七条第（一）项",
              "经查，当事人在其网店商品详情页发布的广告中使用“最佳”“顶级”等绝对化用语",
              (("罚款", 1),), (200000, 1000000), weight=0.5, shops=False),
        _Case("org", "《中华人民共和国产品质量法》第十三条第二款", "《中华人民共和国产品质量法》第四十九条",
              "经抽样检验，当事人销售的{item}不符合国家强制性标准要求，货值金额{value}元，违法所得{gain}元",
              (("没收非法财物", 5), ("没收违法所得", 3), ("罚款", 2)), fine_mode="value",
              items=("电动自行车充电器", "儿童玩具", "电线电缆", "插座转换器", "电热水壶"), goods="违法销售的{item}",
              weight=2),
        _Case("org", "《中华人民共和国特种设备安全法》第三十三条",
              "《中华人民共和国特种设备安全法》第八十三条第（一）项",
              "经查，当事人使用的{n}台电梯未按规定办理使用登记，经责令限期改正逾期未改正",
              (("罚款", 1),), (10000, 100000), shops=False),
        _Case("person", "《中华人民共和国市场主体登记管理条例》第三条第一款",
              "《中华人民共和国市场主体登记管理条例》第四十三条",
              "经查，当事人未经设立登记，自{ym}起从事{item}经营活动，经责令改正后拒不改正，违法所得{gain}元",
              (("没收违法所得", 3), ("罚款", 3)), (10000, 100000), (10000, 100000),
              items=("服装零售", "水果零售", "小餐饮", "家电维修")),
    ),
    "生态环境": (
        _Case("org", f"{_AIR_LAW}第十八条", f"{_AIR_LAW}第九十九条第（二）项",
              "经{ym}现场监测，当事人{item}排放的大气污染物浓度超过国家规定的排放标准",
              (("罚款", 8), ("责令停产停业", 1), ("责令关闭", 0.2)), (100000, 1000000),
              items=("涂装车间废气排放口", "锅炉废气排放口", "印刷车间废气排放口"), weight=2, shops=False),
        _Case("org", "《中华人民共和国水污染防治法》第十条", "《中华人民共和国水污染防治法》第八十三条第（二）项",
              "经{ym}采样监测，当事人废水总排口外排废水中{item}浓度超过国家规定的排放标准",
              (("罚款", 8), ("责令停产停业", 1)), (100000, 1000000), items=("化学需氧量", "氨氮", "总磷", "悬浮物"),
              weight=2, shops=False),
        _Case("org", "《中华人民共和国环境影响评价法》第二十五条", "《中华人民共和国环境影响评价法》第三十一条第一款",
              "经查，当事人{item}（总投资{inv}万元）环境影响报告表未经审批，擅自开工建设",
              (("罚款", 1),), fine_mode="invest", items=("年产5000吨塑料制品项目", "电镀生产线技改项目",
                                                           "汽车零部件喷涂项目"), shops=False),
        _Case("org", f"{_AIR_LAW}第四十五条", f"{_AIR_LAW}第一百零八条第（一）项",
              "经查，当事人{item}产生含挥发性有机物废气的生产活动未在密闭空间或者设备中进行",
              (("罚款", 9), ("责令停产停业", 1)), (20000, 200000), items=("喷漆工序", "印刷工序", "调漆工序")),
        _Case("person", f"{_AIR_LAW}第七十七条", f"{_AIR_LAW}第一百一十九条第一款",
              "经查，当事人在禁止区域内露天焚烧{item}，产生烟尘污染",
              (("罚款", 1),), (500, 2000), (500, 2000), items=("秸秆", "落叶")),
    ),
    "城市管理": (
        _Case("any", "《中华人民共和国城乡规划法》第四十条第一款", "《中华人民共和国城乡规划法》第六十四条",
              "经查，当事人未取得建设工程规划许可证，擅自搭建{item}，建筑面积{area}平方米",
              (("法律、行政法规规定的其他行政处罚", 5), ("罚款", 5), ("没收非法财物", 1)), fine_mode="cost",
              items=("钢结构房屋", "砖混结构房屋", "彩钢板棚"), goods="违法建筑物实物（{item}）",
              other="责令限期拆除违法建筑物", weight=2),
        _Case("any", "《城市建筑垃圾管理规定》第十五条", "《城市建筑垃圾管理规定》第二十六条",
              "经查，当事人于{ym}随意倾倒建筑垃圾约{n}立方米",
              (("警告", 2), ("罚款", 8)), (5000, 50000), (50, 200), weight=2),
        _Case("any", "《城市道路管理条例》第二十七条", "《城市道路管理条例》第四十二条",
              "经查，当事人擅自占用城市道路{item}，占道面积约{area}平方米",
              (("警告", 3), ("罚款", 7)), (500, 20000), (50, 200), items=("堆放物料", "设摊经营", "搭建临时设施"),
              weight=2),
        _Case("org", "《城镇排水与污水处理条例》第二十一条第一款", "《城镇排水与污水处理条例》第五十条第一款",
              "经查，当事人未取得污水排入排水管网许可证，向城镇排水设施排放{item}污水",
              (("罚款", 1),), (5000, 100000), items=("餐饮", "洗车", "施工")),
        _Case("org", f"{_AIR_LAW}第八十一条第一款", f"{_AIR_LAW}第一百一十八条第一款",
              "经查，当事人从事餐饮服务，未安装油烟净化设施，油烟直接排放",
              (("罚款", 1),), (5000, 50000)),
    ),
}
ALL_CASES = tuple(c for cases in CASES.values() for c in cases)
SERIOUS_KINDS = frozenset({"吊销许可证", "责令停产停业", "责令关闭", "限制开展经营活动", "限制从业", "行政拘留"})
MINOR_KINDS = frozenset({"警告", "通报批评"})


@dataclass(frozen=True)
class _LicenceKind:
    """One kind of administrative licence (行政许可法 Art. 12 category, documents, content, validity)."""

    who: str  # "org", "person" or "any"
    category: str  # 普通 / 特许 / 认可 / 核准 / 登记
    document: str
    certificate: str
    number: str  # a key of _LICENCE_NUMBERS
    contents: tuple[str, ...]
    years: int  # validity in years; 0 = long-term
    weight: float = 1.0
    shops: bool = False  # also for 个体工商户


_ISSUE = "准予行政许可决定书"
LICENCES: dict[str, tuple[_LicenceKind, ...]] = {
    "市场监管": (
        _LicenceKind("org", "普通", _ISSUE, "食品经营许可证", "food_trade",
                     ("准予从事食品销售经营活动：预包装食品（含冷藏冷冻食品）销售，散装食品（不含冷藏冷冻食品）销售",
                      "准予从事餐饮服务经营活动：热食类食品制售，冷食类食品制售",
                      "准予从事单位食堂经营活动：热食类食品制售"), 5, weight=5, shops=True),
        _LicenceKind("org", "普通", _ISSUE, "食品生产许可证", "food_production",
                     ("准予生产糕点（烘烤类糕点）", "准予生产饮料（茶类饮料）", "准予生产速冻食品（速冻面米食品）"), 5),
        _LicenceKind("org", "核准", "特种设备使用登记决定书", "特种设备使用登记证", "elevator",
                     ("准予电梯使用登记（曳引驱动乘客电梯）", "准予场（厂）内专用机动车辆使用登记（叉车）",
                      "准予压力容器使用登记"), 0, weight=2),
        _LicenceKind("org", "普通", _ISSUE, "全国工业产品生产许可证", "industrial",
                     ("准予生产电线电缆产品", "准予生产危险化学品包装物、容器产品", "准予生产化肥产品"), 5),
        _LicenceKind("org", "登记", "准予设立登记通知书", "营业执照", "business_licence",
                     ("准予设立登记", "准予变更登记（住所变更）", "准予变更登记（经营范围变更）"), 0, weight=3,
                     shops=True),
        _LicenceKind("org", "普通", _ISSUE, "药品经营许可证", "drug_retail",
                     ("准予从事药品零售（处方药、甲类非处方药、乙类非处方药：中药饮片、中成药、化学药制剂）",), 5,
                     shops=True),
        _LicenceKind("person", "认可", "特种设备作业人员资格认定决定书", "特种设备安全管理和作业人员证",
                     "operator", ("准予从事叉车司机（N1）作业", "准予从事电梯修理（T）作业",
                                  "准予从事工业锅炉司炉（G1）作业"), 4, weight=2),
        _LicenceKind("person", "登记", "食品摊贩登记决定书", "食品摊贩登记证", "food_stall",
                     ("准予从事食品摊贩经营活动（预包装食品销售）", "准予从事食品摊贩经营活动（热食类食品制售）"), 3),
    ),
    "城乡建设": (
        _LicenceKind("org", "普通", _ISSUE, "建筑工程施工许可证", "construction",
                     ("准予{project}施工，建筑面积{area}平方米",), 0, weight=4),
        _LicenceKind("org", "认可", _ISSUE, "建筑业企业资质证书", "qualification",
                     ("准予核定建筑工程施工总承包二级资质", "准予核定市政公用工程施工总承包三级资质",
                      "准予核定建筑装修装饰工程专业承包二级资质"), 5, weight=2),
        _LicenceKind("org", "普通", _ISSUE, "安全生产许可证", "safety",
                     ("准予建筑施工企业从事建筑施工活动",), 3, weight=2),
        _LicenceKind("org", "普通", _ISSUE, "商品房预售许可证", "presale",
                     ("准予{project}商品房预售，预售面积{area}平方米",), 0),
        _LicenceKind("org", "普通", _ISSUE, "城镇污水排入排水管网许可证", "drainage",
                     ("准予向城镇排水设施排放餐饮污水", "准予向城镇排水设施排放洗车污水",
                      "准予向城镇排水设施排放生活污水"), 5, shops=True),
        _LicenceKind("person", "认可", "二级建造师注册决定书", "中华人民共和国二级建造师注册证书", "constructor",
                     ("准予二级建造师（建筑工程专业）初始注册", "准予二级建造师（市政公用工程专业）延续注册"), 3,
                     weight=2),
        _LicenceKind("person", "认可", "建筑施工特种作业人员资格认定决定书", "建筑施工特种作业操作资格证书",
                     "special_work", ("准予从事建筑电工作业", "准予从事建筑架子工（普通脚手架）作业",
                                      "准予从事塔式起重机司机作业"), 2),
    ),
}
ALL_LICENCES = tuple(k for kinds in LICENCES.values() for k in kinds)
PROJECTS = ("研发中心建设项目", "厂房扩建工程", "综合楼工程", "安置房项目", "商业综合体项目")


def _licence_number(kind: str, ctx: Context, region: str) -> str:
    rng, seq, year = ctx.rng, ctx.seq, ctx.decision.year
    if kind == "food_trade":
        return f"JY{_pick(rng, '123')}{region}{seq % 10**7:07d}"
    if kind == "food_production":
        return f"SC{_rint(rng, 101, 131)}{region}{seq % 10**4:04d}{_rint(rng, 0, 9)}"
    if kind == "elevator":
        return f"梯11浙A{seq % 10**5:05d}({year % 100:02d})"
    if kind == "industrial":
        return f"(浙)XK{_rint(rng, 1, 16):02d}-{_rint(rng, 1, 20):03d}-{seq % 10**5:05d}"
    if kind == "business_licence":
        return ctx.subject_uscc or f"{region}{seq % 10**9:09d}"
    if kind == "drug_retail":
        return f"浙CB571{seq % 10**4:04d}"
    if kind == "operator":
        return f"浙特作{year}{seq % 10**6:06d}"
    if kind == "food_stall":
        return f"浙食摊{region}{seq % 10**5:05d}"
    if kind == "construction":
        return f"{region}{ctx.decision:%Y%m%d}{seq % 100:02d}"
    if kind == "qualification":
        return f"D{_pick(rng, '23')}33{seq % 10**6:06d}"
    if kind == "safety":
        return f"（浙）JZ安许证字〔{year}〕{seq % 10**6:06d}"
    if kind == "drainage":
        return f"浙杭排水字第{year}{seq % 10**5:05d}号"
    if kind == "presale":
        return f"杭售许字（{year}）第{seq % 10**6:06d}号"
    if kind == "constructor":
        return f"浙233{year % 100:02d}{seq % 10**6:06d}"
    return f"浙{_pick(rng, 'ABCDE')}{year}{seq % 10**6:06d}"


# --- other domains ----------------------------------------------------------------------------

ACADEMIC_FACTS = {
    "抄袭剽窃": "经调查核实，当事人在其发表的学术论文中大段抄袭他人已发表的成果，且未作任何标注",
    "伪造数据": "经调查核实，当事人在科研项目结题材料中伪造实验数据，相关结论无法复现",
    "篡改数据": "经调查核实，当事人在发表论文时擅自篡改原始实验数据以支持其研究结论",
    "代写代投": "经调查核实，当事人委托第三方机构代写并代投学术论文",
    "买卖论文": "经调查核实，当事人通过网络中介购买学术论文并以本人名义发表",
    "其他科研失信行为": "经调查核实，当事人在科技计划项目申报中提供虚假的人员信息和前期成果材料",
}
ACADEMIC_SANCTIONS = ("撤销相关科研项目立项，追回已拨付的项目经费，取消其3年内申报市级科技计划项目的资格",
                      "给予通报批评，取消其2年内申报各类科技计划项目和科技奖励的资格",
                      "撤回相关论文，取消其5年内申报市级科技计划项目和科技奖励的资格")
CONDUCT_FACTS = {
    "冒用他人证件": "冒用他人的老年人优待证乘车",
    "使用伪造证件": "使用伪造的学生证购买优惠票乘车",
    "逃票": "未按规定购票乘车",
    "侮辱医疗卫生人员": "经查，当事人因对诊疗结果不满，在就诊过程中辱骂医务人员，造成不良影响",
    "恐吓医疗卫生人员": "经查，当事人多次以言语威胁恐吓接诊医务人员",
    "伤害医疗卫生人员": "经查，当事人与接诊医生发生争执，推搡并致其轻微伤",
    "扰乱医疗秩序": "经查，当事人因医疗纠纷在医院门诊区域聚众滋事，扰乱正常诊疗秩序",
    "伪造变造医学文书或票据": "经查，当事人伪造医疗费用票据申请医疗保障基金报销",
    "冒用他人医疗保障凭证": "经查，当事人冒用他人医疗保障凭证就医购药并由医疗保障基金结算",
    "虚构医药服务项目": "经查，当事人与他人串通虚构医药服务项目，骗取医疗保障基金支付",
    "倒卖药品": "经查，当事人利用本人医疗保障凭证多次超量开具药品并转卖牟利",
    "其他": "经查，当事人以提供虚假证明材料等方式骗取医疗保障基金支付",
}
FRAUD_ITEMS = {
    "国家荣誉": ("全国五一劳动奖章", "全国先进工作者", "全国三八红旗手"),
    "财政资助项目": ("杭州市重点研发计划项目", "杭州市高层次人才创业资助项目", "浙江省科技型中小企业研发费用补助",
                     "杭州市文化创意产业专项资金项目"),
    "专业技术资格": ("高级工程师", "副主任医师", "高级经济师", "一级建造师"),
}
FRAUD_MEANS = {
    "国家荣誉": "在申报材料中虚报个人工作业绩和获奖情况，骗取荣誉称号",
    "财政资助项目": "提供虚假的财务报表和研发投入证明材料，骗取财政资助资金",
    "专业技术资格": "提交伪造的学历证书和工作业绩材料，骗取专业技术资格",
}
EXAMS = {
    "国家": ("全国硕士研究生招生考试", "全国大学英语四、六级考试", "国家医师资格考试", "国家统一法律职业资格考试",
             "全国计算机等级考试", "一级建造师职业资格考试"),
    "省": ("浙江省公务员录用考试", "浙江省普通高校专升本考试", "浙江省高等教育自学考试"),
    "市": ("杭州市事业单位公开招聘考试", "杭州市中小学教师招聘考试", "杭州市社区工作者招聘考试"),
}
#: (violation, sanction)
EXAM_VIOLATIONS = (
    ("携带具有通讯功能的电子设备进入考场", "当次考试各科成绩无效"),
    ("在考试过程中抄袭他人答案", "当次考试各科成绩无效"),
    ("使用具有发送或者接收信息功能的设备作弊", "当次考试各科成绩无效，并给予其暂停参加该项考试1年的处理"),
    ("由他人冒名代替参加考试", "当次考试各科成绩无效，并给予其暂停参加该项考试3年的处理"),
    ("组织团伙作弊", "当次考试各科成绩无效，并给予其暂停参加该项考试3年的处理，移送公安机关依法处理"),
)
EMERGENCY_CONTRIBUTIONS = {
    ("疫情防控", True): "作为志愿者参与社区疫情防控值守和信息排查，累计服务{n}小时",
    ("疫情防控", False): "组织员工{n}人参与疫情防控志愿服务，捐赠防疫物资价值{m}万元",
    ("抢险救灾", True): "主动参与防汛抢险，协助转移受困群众{n}人",
    ("抢险救灾", False): "调派抢险人员{n}人、机械设备{m}台次参与抢险救灾，保障道路和供水安全",
    ("事故救援", True): "第一时间参与事故现场救援，协助救出受伤人员{n}人",
    ("事故救援", False): "派出救援队伍{n}人参与事故救援和善后处置",
    ("其他突发事件", True): "在突发事件处置中积极履职，连续值守{n}小时",
    ("其他突发事件", False): "组织员工{n}人参与应急保障，提供应急物资价值{m}万元",
}
BRAVERY_DEEDS = ("发现有人落水，不顾个人安危下水施救，成功救起落水群众1名",
                 "遇到抢劫违法犯罪行为时挺身而出，协助公安机关将犯罪嫌疑人抓获",
                 "发现居民楼起火，主动参与疏散被困群众并协助扑救初起火灾",
                 "制止正在发生的盗窃行为，协助民警抓获犯罪嫌疑人",
                 "在交通事故现场积极救助受伤人员并及时报警")
BRAVERY_HONOURS = ("杭州市见义勇为积极分子", "杭州市见义勇为先进个人", "浙江省见义勇为先进个人", "见义勇为奖金5000元")
#: commitment type -> (matters for organisations, matters for persons, how the commitment was broken)
COMMITMENTS = {
    "审批替代型": (("食品经营许可告知承诺制审批", "公共场所卫生许可告知承诺制审批", "建设工程消防验收备案告知承诺"),
                   ("户籍迁入告知承诺", "职业资格考试报名告知承诺"),
                   "申请人在承诺期限届满后仍未达到其承诺的许可条件，且未按承诺补交相关材料"),
    "容缺受理型": (("企业投资项目备案容缺受理", "建设工程规划许可容缺受理"),
                   ("灵活就业人员社会保险补贴申领容缺受理", "杭州市人才生活补贴申领容缺受理"),
                   "申请人在容缺受理后未在承诺期限内补齐容缺材料"),
    "信用修复型": (("行政处罚信息信用修复",), ("行政处罚信息信用修复",),
                   "申请人在信用修复完成后一年内再次发生同类违法行为"),
    "行业自律型": (("行业协会会员诚信经营承诺",), ("从业人员诚信执业承诺",),
                   "申请人存在价格欺诈行为，违背其诚信经营承诺"),
    "主动型": (("主动型信用承诺（诚信经营）",), ("申领职业技能提升补贴信用承诺",),
               "申请人被有关部门认定存在违法违规行为，违背其主动作出的信用承诺"),
}
#: (list name, grounds, for persons?)
SERIOUS_LISTS = (
    ("市场监督管理严重违法失信名单", "因生产销售不符合食品安全标准的食品受到较重行政处罚，"
     "依据《市场监督管理严重违法失信名单管理办法》列入", False),
    ("重大税收违法失信主体", "经税务机关检查，存在虚开增值税专用发票行为，涉案税额{n}万元", False),
    ("重大税收违法失信主体", "作为负有直接责任的财务负责人，参与偷税，偷税数额{n}万元", True),
    ("拖欠农民工工资失信联合惩戒对象名单", "拒不支付农民工工资{n}万元，经责令限期支付后逾期仍未支付", False),
    ("拖欠农民工工资失信联合惩戒对象名单", "作为实际施工人拖欠农民工工资{n}万元，经责令限期支付后逾期仍未支付",
     True),
    ("安全生产严重失信主体名单", "发生一般生产安全责任事故，造成{n}人死亡，对事故发生负有责任", False),
    ("政府采购严重违法失信行为记录名单", "在政府采购活动中提供虚假材料谋取中标", False),
)
#: (reason for listing, reason for removal)
ANOMALIES = (
    ("未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告", "已补报未报年份的年度报告并公示"),
    ("未在市场监督管理部门依照《企业信息公示暂行条例》第十条规定责令的期限内公示有关企业信息",
     "已依法履行公示义务"),
    ("公示企业信息隐瞒真实情况、弄虚作假", "已更正其公示的信息"),
    ("通过登记的住所或者经营场所无法联系", "通过登记的住所或者经营场所可以重新取得联系"),
)
DISHONEST_CONDUCTS = ("有履行能力而拒不履行生效法律文书确定义务", "违反财产报告制度", "违反限制消费令",
                      "以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行", "无正当理由拒不履行执行和解协议")
OBLIGATIONS = ("货款{amount}元及逾期付款利息", "借款本金{amount}元及利息", "工程款{amount}元",
               "租金{amount}元及违约金", "劳动报酬{amount}元")
#: qualification kind -> ((name, levels, issuing authorities, certificate prefix), ...)
QUALIFICATIONS: dict[str, tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...]] = {
    "职业资格": (("注册会计师", ("",), ("中国注册会计师协会",), "ZK"),
                 ("法律职业资格", ("A类", "C类"), ("中华人民共和国司法部",), "A"),
                 ("二级建造师", ("",), ("浙江省人力资源和社会保障厅",), "JZ"),
                 ("执业药师", ("",), ("国家药品监督管理局",), "YS")),
    "职业技能等级": (("电工", ("五级/初级工", "四级/中级工", "三级/高级工"), ("杭州市职业技能鉴定指导中心",), "S"),
                     ("中式烹调师", ("五级/初级工", "四级/中级工"), ("杭州市职业技能鉴定指导中心",), "S"),
                     ("养老护理员", ("五级/初级工", "四级/中级工"), ("杭州市职业技能鉴定指导中心",), "S"),
                     ("网络与信息安全管理员", ("四级/中级工", "三级/高级工", "二级/技师"),
                      ("杭州市职业技能鉴定指导中心",), "S")),
    "专业技术职称": (("工程师", ("中级",), ("杭州市工程技术人员中级职务评审委员会",), "ZC"),
                     ("高级工程师", ("副高级",), ("浙江省工程技术人员高级职务评审委员会",), "ZC"),
                     ("会计师", ("中级",), ("中华人民共和国财政部",), "ZC"),
                     ("主治医师", ("中级",), ("浙江省卫生健康委员会",), "ZC"),
                     ("讲师", ("中级",), ("浙江省教育厅",), "ZC")),
}

# ------------------------------------------------------------------------------------------------
# Helpers (called in closures: keep them cheap)
# ------------------------------------------------------------------------------------------------


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    """``rng.choice`` without its overhead (the closures run millions of times)."""
    return seq[int(rng.random() * len(seq))]


def _rint(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint`` without its overhead."""
    return low + int(rng.random() * (high - low + 1))


def _weighted(rng: random.Random, values: Sequence[str], cum: Sequence[float]) -> str:
    return values[bisect(cum, rng.random() * cum[-1])]


def _cum_weights(values: Sequence[str]) -> list[float]:
    if any(v in VALUE_WEIGHTS for v in values):
        weights = [VALUE_WEIGHTS.get(v, 1.0) for v in values]
    else:
        weights = [1.0 / (i + 1) for i in range(len(values))]
    return list(accumulate(weights))


def _topic(ctx: Context, key: str, values: Sequence[str], cum: Sequence[float]) -> str:
    """The value of the enum labelled ``key`` in this record: drawn once, shared by every field."""
    memo = ctx.memo
    value = memo.get(key)
    if value is None:
        value = memo[key] = _weighted(ctx.rng, values, cum)
    return str(value)


def _brand(rng: random.Random) -> str:
    """Two different characters of BRANDS (``rng.sample`` is slow)."""
    n = len(BRANDS)
    first = int(rng.random() * n)
    return BRANDS[first] + BRANDS[(first + 1 + int(rng.random() * (n - 1))) % n]


def _person_name(rng: random.Random) -> str:
    given = _pick(rng, GIVEN) if rng.random() < 0.3 else _pick(rng, GIVEN) + _pick(rng, GIVEN)
    return _pick(rng, SURNAMES) + given


def _masked_id_of_someone(rng: random.Random) -> str:
    region = _pick(rng, DISTRICT_CODES) if rng.random() < 0.8 else _pick(rng, ("330203", "330302", "340102", "320102"))
    birth = date(1960, 1, 1) + timedelta(days=_rint(rng, 0, 40 * 365))
    return mask_resident_id(make_resident_id(rng, region_code=region, birth_date=birth))


def _new_uscc(rng: random.Random, region: str, department: str = "9", org_type: str = "1") -> str:
    """A synthetic USCC with a valid check character (make_uscc without its slow re-validation)."""
    first17 = department + org_type + region + make_org_code(rng)
    return first17 + compute_uscc_check(first17)


_USCC_BY_NAME: dict[str, str] = {}


def _uscc_of(name: str, department: str = "9", org_type: str = "1", region: str = "330100") -> str:
    """A synthetic, stable USCC for a named body outside the city (derived from the name only)."""
    code = _USCC_BY_NAME.get(name)
    if code is None:
        body = f"{zlib.crc32(name.encode('utf-8')) % 10**8:08d}"
        first17 = department + org_type + region + body + compute_org_code_check(body)
        code = _USCC_BY_NAME[name] = first17 + compute_uscc_check(first17)
    return code


_COMPANIES: list[tuple[str, str]] = []


def _company(ctx: Context) -> tuple[str, str]:
    """A (name, USCC) of an enterprise outside the generated subjects, from a fixed pool."""
    if not _COMPANIES:
        rng = random.Random(20_240_601)
        seen: set[str] = set()
        while len(_COMPANIES) < 1000:
            district = _pick(rng, DISTRICT_CODES)
            prefix = "杭州" if rng.random() < 0.8 else "浙江"
            name = f"{prefix}{_brand(rng)}{_pick(rng, INDUSTRIES)}有限公司"
            if name not in seen:
                seen.add(name)
                _COMPANIES.append((name, _new_uscc(rng, district)))
    return _COMPANIES[ctx.rng.randrange(len(_COMPANIES))]


def _district(ctx: Context) -> str:
    """The current Hangzhou district of the subject (its registration, or the ID's region), else a random one."""
    code = ctx.memo.get("_district")
    if code is None:
        source = ctx.subject_uscc[2:8] if ctx.subject_uscc else (
            ctx.subject_code[:6] if ctx.subject_kind == "natural_person" else "")
        code = current_region(source) if source else ""
        if code not in DISTRICT_NAMES:
            code = _pick(ctx.rng, DISTRICT_CODES)
        ctx.memo["_district"] = code
    return str(code)


def _local(district: str, office: str) -> str:
    """``杭州市西湖区市场监督管理局``, ``桐庐县市场监督管理局``."""
    name = DISTRICT_NAMES.get(district, "")
    if not name:
        return f"杭州市{office}"
    return f"杭州市{name}{office}" if name.endswith("区") else f"{name}{office}"


def _office(dept_name: str) -> str:
    """The office part of a municipal department's name: 杭州市市场监督管理局 → 市场监督管理局."""
    return dept_name.replace("杭州市", "", 1) if dept_name.startswith("杭州市") else dept_name


_ABBR_BY_DEPT: dict[str, str] = {}


def _abbr(ctx: Context) -> str:
    abbr = _ABBR_BY_DEPT.get(ctx.dept_name)
    if abbr is None:
        abbr = next((a for key, a in DEPT_ABBRS if key in ctx.dept_name), ctx.dept_abbr)
        _ABBR_BY_DEPT[ctx.dept_name] = abbr
    return abbr


def _birth(ctx: Context) -> date | None:
    if ctx.subject_kind != "natural_person":
        return None
    code = ctx.subject_code
    try:
        return date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None


def _age(ctx: Context) -> int:
    birth = _birth(ctx)
    return ctx.as_of.year - birth.year if birth else 40


def _founded(ctx: Context) -> date:
    if ctx.subject_founded is not None:
        return ctx.subject_founded
    return ctx.decision - timedelta(days=_rint(ctx.rng, 365, 15 * 365))


def _ym(d: date) -> str:
    return f"{d.year}年{d.month}月"


def _money(yuan: int) -> str:
    """人民币 amount as written in decisions: 5万元, 3200元."""
    return f"{yuan // 10000}万元" if yuan >= 10000 and yuan % 10000 == 0 else f"{yuan}元"


def _wan(yuan: float, places: int = 6) -> str:
    """Yuan → 万元 without trailing zeros: 2000 → 0.2, 1234.5 → 0.12345."""
    text = f"{yuan / 10000:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _round_fine(rng: random.Random, low: int, high: int) -> int:
    step = 100 if high > 2000 else 50 if high > 200 else 10
    return max(step, round(_rint(rng, low, high) / step) * step)


def _doc_no(ctx: Context, kind: str) -> str:
    return f"杭{_abbr(ctx)}{kind}〔{ctx.decision.year}〕{ctx.seq}号"


def _subject_short(name: str) -> str:
    for suffix in ("股份有限公司", "有限公司", "有限合伙）", "专业合作社"):
        if suffix in name:
            name = name.split(suffix)[0]
    return name.replace("杭州", "", 1) or name


def _entry_pick(table: dict[str, tuple[Any, ...]], everything: tuple[Any, ...]) -> Callable[[Context], tuple[Any, ...]]:
    """The table row whose key appears in the entry's name (else everything), cached per entry."""
    cache: dict[str, tuple[Any, ...]] = {}

    def pick(ctx: Context) -> tuple[Any, ...]:
        rows = cache.get(ctx.entry_code)
        if rows is None:
            rows = next((v for k, v in table.items() if k in ctx.entry_name), everything)
            cache[ctx.entry_code] = rows
        return rows
    return pick


# ------------------------------------------------------------------------------------------------
# Per-record memos
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Penalty:
    kind: str
    simple: bool
    content: str
    fine_yuan: int
    confiscated_yuan: int
    licence: str
    breached: str
    fact: str
    basis: str
    valid_until: date
    publicity_until: date | None


_penalty_cases = _entry_pick(CASES, ALL_CASES)
_PERSON_KINDS = frozenset({"警告", "罚款", "没收违法所得", "没收非法财物", "法律、行政法规规定的其他行政处罚"})


def _penalty(ctx: Context) -> _Penalty:
    found: _Penalty | None = ctx.memo.get("_penalty")
    if found is not None:
        return found
    rng = ctx.rng
    person = ctx.subject_kind == "natural_person"
    case: _Case = _choose(ctx, "penalty", _penalty_cases, ALL_CASES)
    kind = _penalty_kind(rng, case, person)
    value = cost = _rint(rng, 300, 20000)  # goods value; for buildings, the construction cost
    gain = _rint(rng, 50, max(60, value // 3))
    n, area, inv = _rint(rng, 2, 30), _rint(rng, 20, 600), _pick(rng, (80, 150, 300, 600, 1200, 2500))
    item = _pick(rng, case.items)
    if case.fine_mode == "value":
        fine = _round_fine(rng, value, value * 3)
    elif case.fine_mode == "invest":
        fine = _round_fine(rng, inv * 100, inv * 500)  # 1–5 % of the investment (万元)
    elif case.fine_mode == "cost":
        cost = area * _rint(rng, 1200, 3000)
        fine = _round_fine(rng, cost // 20, cost // 10)  # 5–10 % of the construction cost
    else:
        low, high = case.fine_person if person and case.fine_person != (0, 0) else case.fine
        fine = _round_fine(rng, low, high) if high else 0
    goods = case.goods.format(item=item)
    licence = ""
    confiscated = 0
    if kind == "警告":
        content, fine = "警告，责令改正违法行为", 0
    elif kind == "通报批评":
        content, fine = "通报批评", 0
    elif kind == "罚款":
        content = f"责令改正，罚款{_money(fine)}"
    elif kind == "没收违法所得":
        confiscated = gain
        content = f"没收违法所得{_money(gain)}，并处罚款{_money(fine)}"
    elif kind == "没收非法财物":
        confiscated = cost
        content = f"没收{goods}，并处罚款{_money(fine)}"
    elif kind == "责令停产停业":
        content = f"责令停产整治{_rint(rng, 1, 6)}个月，并处罚款{_money(fine)}"
    elif kind == "责令关闭":
        content = f"责令关闭，并处罚款{_money(fine)}"
    elif kind in ("吊销许可证", "暂扣许可证"):
        licence = f"《{case.licence or '许可证'}》（编号：JY1{_district(ctx)}{ctx.seq % 10**7:07d}）"
        content = (f"没收违法所得{_money(gain)}，并处罚款{_money(fine)}，吊销{licence}" if kind == "吊销许可证"
                   else f"暂扣{licence}{_rint(rng, 1, 6)}个月")
        confiscated = gain if kind == "吊销许可证" else 0
    elif kind == "限制开展经营活动":
        content = f"限制开展生产经营活动{_rint(rng, 1, 6)}个月"
    else:
        content = case.other or kind
        if case.other:
            fine = 0
        elif fine:
            content += f"，并处罚款{_money(fine)}"
    simple = kind in MINOR_KINDS or (kind == "罚款" and fine <= (200 if person else 3000))
    serious = kind in SERIOUS_KINDS
    decision = ctx.decision
    if serious and rng.random() < 0.4:
        valid_until = LONG_TERM
    else:
        valid_until = add_months(decision, _rint(rng, 6, 36) if not serious else _rint(rng, 24, 60))
    publicity = None if simple else add_months(decision, 36 if serious else 12)
    ym = _ym(decision - timedelta(days=_rint(rng, 20, 120)))
    fact = case.fact.format(ym=ym, value=value, gain=gain, n=n, area=area, inv=inv, item=item)
    penalty = _Penalty(kind, simple, content, fine, confiscated, licence, f"违反了{case.breached}的规定",
                       fact, f"依据{case.basis}", valid_until, publicity)
    ctx.memo["_penalty"] = penalty
    return penalty


@dataclass(frozen=True, slots=True)
class _Licence:
    category: str
    document: str
    certificate: str
    number: str
    content: str
    valid_until: date
    valid: bool


_licence_kinds = _entry_pick(LICENCES, ALL_LICENCES)


def _licence(ctx: Context) -> _Licence:
    found: _Licence | None = ctx.memo.get("_licence")
    if found is not None:
        return found
    rng = ctx.rng
    kind: _LicenceKind = _choose(ctx, "licence", _licence_kinds, ALL_LICENCES)
    region = _district(ctx)
    content = _pick(rng, kind.contents).format(
        project=_subject_short(ctx.subject_name) + _pick(rng, PROJECTS), area=_rint(rng, 2000, 90000))
    until = LONG_TERM if kind.years == 0 else add_months(ctx.decision, 12 * kind.years) - timedelta(days=1)
    valid = until >= ctx.as_of and rng.random() > 0.03
    licence = _Licence(kind.category, kind.document, kind.certificate, _licence_number(kind.number, ctx, region),
                       content, until, valid)
    ctx.memo["_licence"] = licence
    return licence


def _fitting(ctx: Context, rows: tuple[Any, ...]) -> list[Any]:
    """The cases or licence kinds of an entry that fit the subject (person, 个体工商户, organisation)."""
    if ctx.subject_kind == "natural_person":
        return [r for r in rows if r.who != "org"]
    fit = [r for r in rows if r.who != "person"]
    if ctx.subject_tag == "individual_business":
        return [r for r in fit if r.shops] or fit
    return fit


_CHOICES: dict[tuple[str, str, str], tuple[list[Any], list[float]]] = {}


def _choose(ctx: Context, what: str, rows: Callable[[Context], tuple[Any, ...]], everything: tuple[Any, ...]) -> Any:
    """A weighted choice among the rows fitting the entry and the subject (lists cached per entry and subject)."""
    key = (what, ctx.entry_code, ctx.subject_tag if ctx.subject_tag == "individual_business" else ctx.subject_kind)
    found = _CHOICES.get(key)
    if found is None:
        fit = _fitting(ctx, rows(ctx)) or _fitting(ctx, everything)
        found = _CHOICES[key] = (fit, list(accumulate(r.weight for r in fit)))
    fit, cum = found
    return fit[bisect(cum, ctx.rng.random() * cum[-1])]


_KINDS: dict[tuple[int, bool], tuple[tuple[str, ...], list[float]]] = {}


def _penalty_kind(rng: random.Random, case: _Case, person: bool) -> str:
    found = _KINDS.get((id(case), person))
    if found is None:
        kinds = [(k, w) for k, w in case.kinds if not person or k in _PERSON_KINDS] or [("罚款", 1.0)]
        found = _KINDS[(id(case), person)] = (tuple(k for k, _ in kinds), list(accumulate(w for _, w in kinds)))
    kinds_, cum = found
    return kinds_[bisect(cum, rng.random() * cum[-1])]


def _party(ctx: Context, key: str, make: Callable[[Context], tuple[str, str]]) -> tuple[str, str]:
    """A related body or person of this record, ``(name, USCC or masked ID or "")``, made once per record."""
    found = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = make(ctx)
    return found


def _dept(ctx: Context) -> tuple[str, str]:
    return ctx.dept_name, ctx.dept_uscc


def _investor(ctx: Context) -> tuple[str, str]:
    kind = ctx.memo.get("出资人类型") or _topic(ctx, "出资人类型", _INVESTOR_TYPES, _INVESTOR_CUM)
    if kind == "自然人":
        return (ctx.legal_rep_name if ctx.legal_rep_name and ctx.rng.random() < 0.5
                else _person_name(ctx.rng)), ""
    if kind == "非法人组织":
        name = f"杭州{_brand(ctx.rng)}投资合伙企业（有限合伙）"
        return name, _uscc_of(name)
    if kind == "其他":
        return f"{_local(_district(ctx), '国有资产管理中心')}", ""
    return _company(ctx)


_INVESTOR_TYPES = ("自然人", "企业法人", "非法人组织", "其他")
_INVESTOR_CUM = _cum_weights(_INVESTOR_TYPES)


def _branch(ctx: Context) -> tuple[str, str]:
    district = _pick(ctx.rng, DISTRICT_CODES)
    short = DISTRICT_NAMES[district][:2]
    base = ctx.subject_name.split("（")[0]
    if "公司" in base:
        base = base[: base.index("公司") + 2]
    name = f"{base}{short}分公司" if base.endswith("公司") else f"{base}{short}分部"
    ctx.memo["_branch_district"] = district
    return name, _new_uscc(ctx.rng, district)


def _employer(ctx: Context) -> tuple[str, str]:
    return _company(ctx) if ctx.memo.get("就业状态", "就业") == "就业" else ("", "")


def _law_firm(ctx: Context) -> tuple[str, str]:
    name = _pick(ctx.rng, LAW_FIRM_FORMS).format(b=_brand(ctx.rng))
    return name, _uscc_of(name, "3", "1")


def _hospital(ctx: Context) -> tuple[str, str]:
    if ctx.rng.random() < 0.2:
        district = _district(ctx)
        name = _local(district, "社区卫生服务中心").replace("社区", f"{DISTRICT_NAMES[district][:2]}街道社区", 1)
    else:
        name = _pick(ctx.rng, HOSPITALS)
    return name, _uscc_of(name, "1", "2")


def _cert_body(ctx: Context) -> tuple[str, str]:
    kind = ctx.memo.get("认证类别")
    name = "中国质量认证中心" if kind == "产品认证" else _pick(ctx.rng, CERT_BODIES)
    return name, _uscc_of(name, "1" if name.endswith("中心") else "9", "2" if name.endswith("中心") else "1",
                          "110000")


def _charity(ctx: Context) -> tuple[str, str]:
    name, org_type = _pick(ctx.rng, CHARITIES)
    return name, _uscc_of(name, "5", org_type, "330000" if name.startswith("浙江") else "330100")


def _award(ctx: Context) -> tuple[str, str]:
    level = _topic(ctx, "级别", _LEVELS, _LEVEL_CUM)
    person = ctx.subject_kind == "natural_person"
    rows = [a for a in AWARDS if a[0] == level and a[4] == person] or [a for a in AWARDS if a[4] == person]
    _level, name, body, prefix, _p = _pick(ctx.rng, rows)
    ctx.memo["_award"] = (name, prefix)
    region = {"国家级": "100000", "省级": "330000"}.get(level, "330100")
    return body, _uscc_of(body, "1", "1", region)


_LEVELS = ("国家级", "省级", "市级")
_LEVEL_CUM = _cum_weights(_LEVELS)


def _related_org(ctx: Context) -> tuple[str, str]:
    return _company(ctx) if ctx.rng.random() < 0.3 else ("", "")


def _court(ctx: Context) -> tuple[str, str]:
    if ctx.rng.random() < 0.15:
        ctx.memo["_court_code"] = "浙01"
        return "杭州市中级人民法院", ""
    district = _district(ctx)
    ctx.memo["_court_code"] = f"浙01{district[4:]}"
    return _local(district, "人民法院"), ""


def _court_code(ctx: Context) -> str:
    _party(ctx, "执行法院", _court)
    return str(ctx.memo["_court_code"])


def _blood_centre(ctx: Context) -> tuple[str, str]:
    return "浙江省血液中心", ""


def _fee_supplier(ctx: Context) -> tuple[str, str]:
    fee = _topic(ctx, "收费类别", _FEES, _FEE_CUM)
    return FEE_SUPPLIERS.get(fee, "杭州市水务集团有限公司"), ""


_FEES = tuple(FEE_SUPPLIERS)
_FEE_CUM = _cum_weights(_FEES)


def _institute(ctx: Context) -> tuple[str, str]:
    if ctx.rng.random() < 0.8:
        return _pick(ctx.rng, HANGZHOU_UNIVERSITIES), ""
    return _pick(ctx.rng, ("杭州市农业科学研究院", "浙江省农业科学院", "之江实验室", "浙江省医学科学院")), ""


def _penalty_authority(ctx: Context) -> tuple[str, str]:
    if ctx.rng.random() < 0.3:
        return _local(_district(ctx), "综合行政执法局"), "综执"
    return _pick(ctx.rng, PENALTY_AUTHORITIES)


def _officer(ctx: Context) -> tuple[str, str]:
    if ctx.legal_rep_name and ctx.legal_rep_id and ctx.rng.random() < 0.4:
        return ctx.legal_rep_name, mask_resident_id(ctx.legal_rep_id)
    return _person_name(ctx.rng), _masked_id_of_someone(ctx.rng)


def _volunteer_org(ctx: Context) -> tuple[str, str]:
    if ctx.rng.random() < 0.5:
        return _pick(ctx.rng, VOLUNTEER_ORGS), ""
    return _local(_district(ctx), "志愿者协会"), ""


#: label prefix keyword → maker of the related party named by fields labelled "<prefix>" / "<prefix>名称" /
#: "<prefix>统一社会信用代码". Checked in order; the first keyword found in the prefix wins.
PARTIES: tuple[tuple[str, Callable[[Context], tuple[str, str]]], ...] = (
    ("出资人", _investor), ("分支机构", _branch), ("就业单位", _employer), ("关联组织", _related_org),
    ("主要执业机构", _hospital), ("医疗卫生机构", _hospital), ("执业机构", _law_firm), ("认证机构", _cert_body),
    ("慈善组织", _charity), ("授予单位", _award), ("执行法院", _court), ("法院", _court),
    ("供应单位", _fee_supplier), ("所在单位", _institute), ("志愿服务组织", _volunteer_org),
    ("采血机构", _blood_centre),
)
_AUTHORITY_WORDS = ("机关", "认定单位", "处理决定的单位", "受理", "来源单位", "确认单位", "部门", "提供单位")


def _party_key(label: str) -> str:
    for suffix in ("统一社会信用代码", "名称或姓名", "名称"):
        if label.endswith(suffix):
            return label[: -len(suffix)]
    return label


def _party_maker(key: str) -> Callable[[Context], tuple[str, str]] | None:
    for word, make in PARTIES:
        if word in key:
            return make
    if any(w in key for w in _AUTHORITY_WORDS):
        return _dept
    return None


# ------------------------------------------------------------------------------------------------
# Compilation
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    name: str
    code: str  # the name upper-cased without an XK_/CF_ prefix
    prefix: str  # "XK", "CF" or ""
    label: str
    type: str
    allowed: tuple[str, ...]
    labels: dict[str, str]
    max_length: int | None
    places: int | None
    digits: int | None
    special: tuple[str, ...]

    @classmethod
    def of(cls, spec: dict[str, Any]) -> _Field:
        name = str(spec.get("name", ""))
        upper = name.upper()
        prefix = upper[:2] if upper[:3] in ("XK_", "CF_") else ""
        return cls(name, upper[3:] if prefix else upper, prefix, str(spec.get("label", "")),
                   str(spec.get("type", "string")), tuple(str(a) for a in spec.get("allowed") or ()),
                   {str(k): str(v) for k, v in (spec.get("allowed_labels") or {}).items()},
                   spec.get("max_length"), spec.get("decimal_places"), spec.get("max_digits"),
                   tuple(spec.get("special_values") or ()))

    def has(self, *needles: str) -> bool:
        return any(n in self.label for n in needles)

    def value_for(self, label: str) -> str | None:
        """The allowed value whose display label (or itself) is ``label``."""
        for value in self.allowed:
            if self.labels.get(value, value) == label:
                return value
        return None


def compile_field(spec: dict[str, Any], *, decision_field: str, disclosure_months: int | None) -> Gen:
    """Return a generator of values for one field of a catalog version.

    The generator returns None (or "") for "no value"; the caller leaves such fields out.
    """
    f = _Field.of(spec)
    if f.name == decision_field:
        return lambda ctx: ctx.decision.isoformat()
    compiler = _COMPILERS.get(f.type, _compile_text)
    gen = compiler(f, disclosure_months)
    if f.type in ("string", "text") and f.max_length and int(f.max_length) < CLIP_BELOW:
        return _clipped(gen, int(f.max_length))  # the fallbacks of _domain_text clip themselves
    return gen


#: Strings made for a known meaning are shorter than this (names, codes, numbers; long texts go to text fields or
#: fields of 200+ characters), so only smaller limits need a clipping wrapper; tests check every limit.
CLIP_BELOW = 32


def _clipped(gen: Gen, limit: int) -> Gen:
    def clipped(ctx: Context) -> Any:
        value = gen(ctx)
        return value[:limit] if value is not None and len(value) > limit else value
    return clipped


# --- enum -----------------------------------------------------------------------------------

_SUBJECT_CATEGORY = ("相对人类别", "主体类别", "被执行人类别", "当事人类别")


def _compile_enum(f: _Field, _months: int | None) -> Gen:
    allowed = f.allowed
    if not allowed:
        return lambda ctx: None
    key = f.label
    if f.code == "XDR_LB" or f.has(*_SUBJECT_CATEGORY):
        person = next((a for a in allowed if "自然人" in a or "个人" in a), allowed[-1])
        shop = next((a for a in allowed if "个体" in a), None)
        org = next((a for a in allowed if a not in (person, shop)), allowed[0])

        def category(ctx: Context) -> str:
            if ctx.subject_kind == "natural_person":
                return person
            return shop if shop and ctx.subject_tag == "individual_business" else org
        return category
    if f.code == "CFLB" or f.has("处罚类别"):
        fallback = allowed[0]
        codes = {label: f.value_for(label) or fallback for label in VALUE_LABELS_PENALTY}
        return lambda ctx: codes.get(_penalty(ctx).kind, fallback)
    if f.code == "AJCXLB" or f.has("案件程序"):
        simple = f.value_for("简易程序") or allowed[0]
        general = f.value_for("一般程序") or allowed[-1]
        return lambda ctx: simple if _penalty(ctx).simple else general
    if f.code == "ZT" or (f.has("当前状态") and f.value_for("有效")):
        valid = f.value_for("有效") or allowed[0]
        invalid = f.value_for("无效") or allowed[-1]
        return lambda ctx: valid if _licence(ctx).valid else invalid
    cum = _cum_weights(allowed)
    if f.has("学历"):
        return _education_level(f)
    if f.has("就业状态"):
        working = tuple(a for a in allowed if a != "退休")
        working_cum = _cum_weights(working)

        def employment(ctx: Context) -> str:
            values, weights = (allowed, cum) if _age(ctx) >= 58 else (working, working_cum)
            value = ctx.memo[key] = _weighted(ctx.rng, values, weights)
            return value
        return employment
    if f.has("证书状态"):
        expired = "过期" if "过期" in allowed else None

        def certificate_status(ctx: Context) -> str:
            if expired and ctx.memo.get("_expires", LONG_TERM) < ctx.as_of:
                return expired
            value = _weighted(ctx.rng, allowed, cum)
            return value if value != expired else allowed[0]
        return certificate_status
    if f.has("星级"):
        stars = dict(zip((100, 300, 600, 1000, 1500), allowed, strict=False))

        def star(ctx: Context) -> str | None:
            hours = float(ctx.memo.get("_hours", 0))
            found = None
            for threshold, value in stars.items():
                if hours >= threshold:
                    found = value
            return found
        return star
    if f.has("在关联组织中的身份"):
        return lambda ctx: _weighted(ctx.rng, allowed, cum) if ctx.memo.get("关联组织", ("", ""))[1] else None
    if f.has("社会组织类型"):
        association = next((a for a in allowed if "社会团体" in a), allowed[0])
        school = next((a for a in allowed if "民办非企业" in a), allowed[0])

        def social(ctx: Context) -> str:
            if "协会" in ctx.subject_name or "商会" in ctx.subject_name:
                value = association
            elif "学校" in ctx.subject_name or "中心" in ctx.subject_name:
                value = school
            else:
                value = _weighted(ctx.rng, allowed, cum)
            ctx.memo[key] = value
            return value
        return social
    allowed_set = frozenset(allowed)

    def enum(ctx: Context) -> str:
        memo = ctx.memo
        value = memo.get(key)
        if value is None or value not in allowed_set:
            value = memo[key] = _weighted(ctx.rng, allowed, cum)
        return str(value)
    return enum


VALUE_LABELS_PENALTY = ("警告", "罚款", "没收违法所得", "责令停产停业", "吊销许可证", "行政拘留",
                        "法律、行政法规规定的其他行政处罚", "通报批评", "没收非法财物", "降低资质等级", "暂扣许可证",
                        "限制开展经营活动", "限制从业", "责令关闭")


def _education_level(f: _Field) -> Gen:
    allowed, key = f.allowed, f.label
    by_age: dict[int, tuple[tuple[str, ...], list[float]]] = {}

    def level(ctx: Context) -> str:
        age = min(_age(ctx), 40)
        options = by_age.get(age)
        if options is None:
            fitting = tuple(a for a in allowed if EDUCATION_AGE.get(a, 0) <= age) or allowed
            options = by_age[age] = (fitting, _cum_weights(fitting))
        value = ctx.memo[key] = _weighted(ctx.rng, options[0], options[1])
        return value
    return level


# --- identifiers ------------------------------------------------------------------------------


def _compile_resident_id(f: _Field, _months: int | None) -> Gen:
    if f.code.startswith("FR_") or f.has("法定代表人"):
        return lambda ctx: mask_resident_id(ctx.legal_rep_id) if ctx.legal_rep_id else None
    return lambda ctx: mask_resident_id(ctx.subject_code) if ctx.subject_kind == "natural_person" else None


def _compile_uscc(f: _Field, _months: int | None) -> Gen:
    key = _party_key(f.label)
    if f.code == "XDR_SHXYM" or key == "" or "相对人" in key:
        if NO_CODE_PLACEHOLDER in f.special:
            return lambda ctx: ctx.subject_code if ctx.subject_kind != "natural_person" else None
        return lambda ctx: (ctx.subject_uscc or ctx.subject_code) if ctx.subject_kind != "natural_person" else None
    if f.code in ("XKJGDM", "LYDWDM", "CFJGDM", "SJLYDM"):
        return lambda ctx: ctx.dept_uscc or None
    make = _party_maker(key) or _company
    return lambda ctx: _party(ctx, key, make)[1] or None


# --- dates ------------------------------------------------------------------------------------


def _compile_date(f: _Field, months: int | None) -> Gen:
    code = f.code
    if code == "YXQZI" or (f.prefix == "XK" and f.has("有效期至")):
        return lambda ctx: _licence(ctx).valid_until.isoformat()
    if code == "YXQZ" or f.has("有效期自"):
        return lambda ctx: ctx.decision.isoformat()
    if code == "YXQ" or f.has("处罚有效期"):
        return lambda ctx: _penalty(ctx).valid_until.isoformat()
    if code == "GSJZQ" or f.has("公示截止"):
        def publicity(ctx: Context) -> str | None:
            until = _penalty(ctx).publicity_until
            return until.isoformat() if until else None
        return publicity
    if f.has("出生"):
        return lambda ctx: (b.isoformat() if (b := _birth(ctx)) else None)
    if f.has("成立", "营业期限自"):
        def founded(ctx: Context) -> str:
            if f.has("成立") and "分支机构" in ctx.memo:
                return max(_founded(ctx), ctx.decision - timedelta(days=_rint(ctx.rng, 0, 3000))).isoformat()
            return _founded(ctx).isoformat()
        return founded
    if f.has("营业期限至"):
        def operating_to(ctx: Context) -> str | None:
            if ctx.subject_tag in ("individual_business", "branch"):
                return None
            if ctx.rng.random() < 0.75:
                return LONG_TERM.isoformat()
            return add_months(_founded(ctx), 12 * _pick(ctx.rng, (20, 30, 50))).isoformat()
        return operating_to
    if f.has("核准日期", "任职日期"):
        return lambda ctx: max(_founded(ctx), ctx.decision).isoformat()
    if f.has("认缴出资日期"):
        return lambda ctx: date(_founded(ctx).year + _pick(ctx.rng, (5, 10, 20, 30)), 12, 31).isoformat()
    if f.has("证书有效期至"):
        def expires(ctx: Context) -> str:
            years = 5 if ctx.memo.get("认证类别") == "产品认证" else 3
            until = add_months(ctx.decision, 12 * years) - timedelta(days=1)
            ctx.memo["_expires"] = until
            return until.isoformat()
        return expires
    if f.has("届满移出"):
        return lambda ctx: add_months(ctx.decision, min(36, months or 36)).isoformat()
    if f.has("移出日期"):
        def removed(ctx: Context) -> str | None:
            if ctx.rng.random() < 0.6:
                return None
            day = ctx.decision + timedelta(days=_rint(ctx.rng, 30, 700))
            if day > ctx.as_of:
                return None
            ctx.memo["_removed"] = True
            return day.isoformat()
        return removed
    if f.has("承诺日期"):
        return lambda ctx: _commitment_dates(ctx)[0].isoformat()
    if f.has("承诺履行期限"):
        return lambda ctx: _commitment_dates(ctx)[1].isoformat()
    if f.has("缴款期限"):
        return lambda ctx: (ctx.decision - timedelta(days=_rint(ctx.rng, 60, 200))).isoformat()
    if f.has("催告", "催缴"):
        return lambda ctx: (ctx.decision - timedelta(days=_rint(ctx.rng, 11, 45))).isoformat()
    if f.has("立案"):
        return lambda ctx: _before(ctx, "_filed", 30, 400).isoformat()
    if f.has("考试日期"):
        return lambda ctx: _before(ctx, "_exam_date", 7, 60).isoformat()
    if f.has("毕业"):
        def graduated(ctx: Context) -> str:
            birth = _birth(ctx) or date(1985, 9, 1)
            age = EDUCATION_AGE.get(str(ctx.memo.get("学历层次", "")), 22)
            day = date(min(birth.year + age + _rint(ctx.rng, 0, 2), ctx.as_of.year), 6, 30)
            day = day if day <= ctx.as_of else date(ctx.as_of.year - 1, 6, 30)
            ctx.memo["_graduated"] = day
            return day.isoformat()
        return graduated
    if f.has("起始日期", "开始日期"):
        def start(ctx: Context) -> str:
            birth = _birth(ctx)
            if ctx.memo.get("就业状态") == "退休" and birth is not None:
                retired = add_months(birth, 12 * 60)
                return (retired if retired <= ctx.as_of else ctx.decision).isoformat()
            return ctx.decision.isoformat()
        return start
    if f.has("终止", "截止", "结束"):
        def end(ctx: Context) -> str | None:
            status = ctx.memo.get("就业状态")
            if status == "退休" or ctx.rng.random() < 0.7:
                return None
            day = ctx.decision + timedelta(days=_rint(ctx.rng, 60, 1500 if status != "失业登记" else 300))
            return day.isoformat() if day <= ctx.as_of else None
        return end
    if f.has("有效期至", "到期"):
        def valid_until(ctx: Context) -> str | None:
            if ctx.rng.random() < 0.6:
                return None
            return (add_months(ctx.decision, 12 * _rint(ctx.rng, 2, 5)) - timedelta(days=1)).isoformat()
        return valid_until
    if f.has("发布", "公布", "公告", "认定", "确认", "处理决定", "授予", "取得", "注册", "发证", "列入", "献血",
             "捐赠", "日期"):
        return lambda ctx: ctx.decision.isoformat()
    return lambda ctx: ctx.decision.isoformat()


def _before(ctx: Context, key: str, low: int, high: int) -> date:
    """A date ``low``–``high`` days before the record's date, shared by the fields of the record."""
    found = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = ctx.decision - timedelta(days=_rint(ctx.rng, low, high))
    return found


def _commitment_dates(ctx: Context) -> tuple[date, date]:
    found = ctx.memo.get("_commitment")
    if found is None:
        committed = ctx.decision - timedelta(days=_rint(ctx.rng, 90, 540))
        deadline = min(committed + timedelta(days=_pick(ctx.rng, (30, 60, 90, 180))), ctx.decision - timedelta(days=7))
        found = ctx.memo["_commitment"] = (committed, deadline)
    return found


# --- numbers ----------------------------------------------------------------------------------


def _decimal_format(f: _Field) -> Callable[[float], str]:
    places = f.places if f.places is not None else 2
    digits = f.digits
    limit = float(10 ** (digits - places)) - 1 if digits else None

    def fmt(value: float) -> str:
        if limit is not None:
            value = min(value, limit)
        return f"{value:.{places}f}"
    return fmt


def _compile_decimal(f: _Field, _months: int | None) -> Gen:
    fmt = _decimal_format(f)
    wan = f.has("万元")
    places = min(6, f.places if f.places is not None else 6)

    def money(yuan: float) -> str:
        return _wan(yuan, places) if wan else fmt(yuan)
    if f.code == "NR_FK" or (f.prefix == "CF" and f.has("罚款")):
        return lambda ctx: money(p.fine_yuan) if (p := _penalty(ctx)).fine_yuan else None
    if f.code == "NR_WFFF" or (f.prefix == "CF" and f.has("没收")):
        return lambda ctx: money(p.confiscated_yuan) if (p := _penalty(ctx)).confiscated_yuan else None
    if f.has("资本", "出资"):
        def capital(ctx: Context) -> str | None:
            if f.has("注册资本") and ctx.subject_tag in ("individual_business", "branch", "public_institution"):
                return None
            amount = float(_pick(ctx.rng, (3, 10, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10000)))
            if f.has("认缴"):
                amount = max(1, round(amount * _pick(ctx.rng, (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1.0)), 2))
            return money(amount * 10000)
        return capital
    if f.has("时长", "小时"):
        def hours(ctx: Context) -> str:
            value = round(min(800.0, max(12.5, ctx.rng.lognormvariate(3.8, 0.9))) * 2) / 2
            ctx.memo["_hours"] = value
            return fmt(value)
        return hours
    if f.has("罚款"):
        def fine(ctx: Context) -> str:
            scale = 7.5 if ctx.subject_kind == "natural_person" else 9.5
            return money(max(200, round(min(2e6, ctx.rng.lognormvariate(scale, 1.0)), -2)))
        return fine
    if f.has("欠税"):
        def tax(ctx: Context) -> str:
            scale = 11.5 if ctx.subject_tag not in ("person", "individual_business") else 10.0
            return money(round(min(5e7, ctx.rng.lognormvariate(scale, 1.2)), 2))
        return tax
    if f.has("欠费"):
        def fee(ctx: Context) -> str:
            scale = 6.2 if ctx.subject_kind == "natural_person" else 8.5
            return money(round(min(1e6, 50 + ctx.rng.lognormvariate(scale, 0.9)), 2))
        return fee
    if f.has("捐赠"):
        def donation(ctx: Context) -> str:
            if ctx.subject_tag in ("person", "individual_business"):
                yuan = float(_pick(ctx.rng, (100, 200, 500, 1000, 2000, 5000, 10000, 50000)))
            else:
                yuan = float(_pick(ctx.rng, (5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000)))
            return money(yuan)
        return donation
    if f.has("医疗保障基金"):
        return lambda ctx: money(round(min(500000.0, 300 + ctx.rng.lognormvariate(8.5, 1.1)), 2))
    if wan:
        return lambda ctx: money(round(ctx.rng.lognormvariate(9.5, 1.2), 2))
    return lambda ctx: fmt(round(ctx.rng.lognormvariate(7.0, 1.2), 2))


def _compile_integer(f: _Field, _months: int | None) -> Gen:
    if f.has("年度"):
        lag = 1 if f.has("评价") else 0
        return lambda ctx: min(ctx.decision.year, ctx.as_of.year) - lag
    if f.has("人数"):
        sizes = {"individual_business": (1, 6), "branch": (3, 60), "partnership": (1, 10), "cooperative": (3, 30),
                 "law_firm": (3, 80)}

        def headcount(ctx: Context) -> int:
            low, high = sizes.get(ctx.subject_tag, (0, 0))
            if high:
                return _rint(ctx.rng, low, high)
            return max(1, min(20000, int(ctx.rng.lognormvariate(3.0, 1.3))))
        return headcount
    if f.has("欠缴月数"):
        return lambda ctx: _rint(ctx.rng, 1, 12) if ctx.memo.get("缴费状态") == "欠缴" else None
    if f.has("毫升", "献血量"):
        def volume(ctx: Context) -> int:
            if ctx.memo.get("献血类别", "全血") == "全血":
                return _pick(ctx.rng, (200, 300, 400, 400))
            return _pick(ctx.rng, (200, 250, 400))
        return volume
    if f.has("时长", "小时"):
        return lambda ctx: _rint(ctx.rng, 2, 400)
    if f.has("月数", "个月"):
        return lambda ctx: _rint(ctx.rng, 1, 24)
    return lambda ctx: _rint(ctx.rng, 1, 12)


def _compile_boolean(f: _Field, _months: int | None) -> Gen:
    if f.has("撤销", "已"):
        return lambda ctx: ctx.rng.random() < 0.85
    return lambda ctx: ctx.rng.random() < 0.5


# --- strings and texts --------------------------------------------------------------------------

_NAME_LABELS = frozenset({"名称", "姓名", "名称或姓名", "行政相对人名称", "主体名称", "企业名称", "单位名称"})


def _compile_text(f: _Field, months: int | None) -> Gen:
    gen = _double_publicity(f) if f.prefix else None
    if gen is not None:
        return gen
    label = f.label
    # identity of the subject and of persons around it
    if f.code == "XDR_MC" or label in _NAME_LABELS:
        if label == "姓名":
            return lambda ctx: (ctx.subject_name if ctx.subject_kind == "natural_person"
                                else _party(ctx, "_officer", _officer)[0])
        return lambda ctx: ctx.subject_name
    if f.has("证件类型"):
        if f.has("法定代表人"):
            return lambda ctx: "身份证" if ctx.legal_rep_id and ctx.subject_kind != "natural_person" else None
        return lambda ctx: "身份证" if ctx.subject_kind == "natural_person" else None
    if f.has("证件号码", "身份证"):
        if f.has("法定代表人"):
            return lambda ctx: (mask_resident_id(ctx.legal_rep_id)
                                if ctx.legal_rep_id and ctx.subject_kind != "natural_person" else None)
        return lambda ctx: (mask_resident_id(ctx.subject_code) if ctx.subject_kind == "natural_person"
                            else _party(ctx, "_officer", _officer)[1])
    if f.has("统一社会信用代码"):
        return lambda ctx: ctx.subject_uscc or None
    if f.has("工商注册号"):
        return lambda ctx: _registration_no(ctx) if ctx.subject_code == NO_CODE_PLACEHOLDER else None
    if f.has("组织机构代码"):
        return lambda ctx: ctx.subject_uscc[8:17] if ctx.subject_uscc and ctx.rng.random() < 0.3 else None
    if f.has("税务登记号"):
        return lambda ctx: ctx.subject_uscc[2:17] if ctx.subject_uscc and ctx.rng.random() < 0.2 else None
    if f.has("事业单位证书号"):
        return lambda ctx: (f"事证第1{_district(ctx)}{ctx.seq % 10**5:05d}号"
                            if ctx.subject_tag == "public_institution" else None)
    if f.has("社会组织登记证号"):
        return lambda ctx: (f"杭民证字第{ctx.seq % 10**6:06d}号"
                            if ctx.subject_tag in ("social_org", "private_non_enterprise") else None)
    if f.has("法定代表人", "负责人", "经营者"):
        return lambda ctx: (ctx.legal_rep_name or _person_name(ctx.rng)) if ctx.subject_kind != "natural_person" \
            else None
    # registration of organisations
    if f.has("市场主体类型", "企业类型", "组织形式"):
        def org_type(ctx: Context) -> str:
            form = ORG_FORMS.get(ctx.subject_tag, "有限责任公司（自然人投资或控股）")
            return form.replace("有限责任公司（", "股份有限公司（非上市、") if "股份" in ctx.subject_name else form
        return org_type
    if f.has("币种"):
        return lambda ctx: (None if ctx.subject_tag in ("individual_business", "branch", "public_institution")
                            else "人民币" if ctx.rng.random() < 0.97 else "美元")
    if f.has("地址", "住所", "经营场所"):
        return _address
    if f.has("经营范围", "业务范围"):
        def scope(ctx: Context) -> str:
            name = ctx.subject_name
            return next((s for k, s in SCOPES if k in name), DEFAULT_SCOPE)
        return scope
    if f.has("登记机关", "登记管理机关"):
        def registrar(ctx: Context) -> str:
            district = ctx.memo.get("_branch_district") or _district(ctx)
            if ctx.rng.random() < 0.3:
                return ctx.dept_name
            return _local(str(district), _office(ctx.dept_name))
        return registrar
    if f.has("业务主管单位"):
        def supervisor(ctx: Context) -> str | None:
            if "学校" in ctx.subject_name:
                return _local(_district(ctx), "教育局")
            return None if ctx.rng.random() < 0.7 else "杭州市工商业联合会"
        return supervisor
    if f.has("作出决定机关"):
        return lambda ctx: _local(_district(ctx), _office(ctx.dept_name))
    if f.has("税务机关"):
        return lambda ctx: "国家税务总局" + _local(_district(ctx), "税务局")
    if f.has("出资方式"):
        return lambda ctx: _pick(ctx.rng, ("货币", "货币", "货币", "货币", "货币", "实物", "知识产权", "货币、实物"))
    if "YYYY-MM" in label or f.max_length == 7:  # a month, before the record's date
        if f.has("起始", "开始"):
            return lambda ctx: f"{(m := add_months(ctx.decision, -_rint(ctx.rng, 3, 24))).year}-{m.month:02d}"
        return lambda ctx: f"{(m := add_months(ctx.decision, -1)).year}-{m.month:02d}"
    # related parties (investor, branch, employer, law firm, hospital, awarding body …) and authorities
    key = _party_key(label)
    make = _party_maker(key)
    if make is not None and not f.has("处罚机关"):
        return lambda ctx: _party(ctx, key, make)[0] or None
    if f.has("处罚机关"):
        return lambda ctx: _party(ctx, "_authority", _penalty_authority)[0]
    return _domain_text(f, months)


def _registration_no(ctx: Context) -> str:
    """A 15-digit 工商注册号 with its GB/T 17710 (ISO 7064 MOD 11,10) check digit."""
    body = f"{_district(ctx)}6{ctx.seq % 10**7:07d}"
    product = 10
    for ch in body:
        total = (product + int(ch)) % 10 or 10
        product = (total * 2) % 11
    return body + str((11 - product) % 10)


def _address(ctx: Context) -> str:
    district = _district(ctx)
    road = _pick(ctx.rng, ROADS.get(district, ("人民路",)))
    place = f"杭州市{DISTRICT_NAMES[district]}" if district in DISTRICT_NAMES else "杭州市"
    extra = f"{_rint(ctx.rng, 1, 12)}幢{_rint(ctx.rng, 1, 20)}0{_rint(ctx.rng, 1, 9)}室" if ctx.rng.random() < 0.6 \
        else ""
    return f"浙江省{place}{road}{_rint(ctx.rng, 1, 999)}号{extra}"


def _double_publicity(f: _Field) -> Gen | None:
    """XK_* / CF_* data items of the national 双公示 format (reference-data.md §1)."""
    code = f.code
    if code == "XDR_MC":
        return lambda ctx: ctx.subject_name
    if code in ("XDR_ZJLX", "FR_ZJLX", "XDR_ZJHM", "FR_ZJHM"):
        person = code.startswith("XDR")
        typ = code.endswith("ZJLX")

        def identity(ctx: Context) -> str | None:
            if person:
                if ctx.subject_kind != "natural_person":
                    return None
                return "身份证" if typ else mask_resident_id(ctx.subject_code)
            if ctx.subject_kind == "natural_person" or not ctx.legal_rep_id:
                return None
            return "身份证" if typ else mask_resident_id(ctx.legal_rep_id)
        return identity
    if code == "FRDB":
        return lambda ctx: (ctx.legal_rep_name or _person_name(ctx.rng)) if ctx.subject_kind != "natural_person" \
            else None
    if code in ("CFJG", "XKJG", "SJLY", "LYDW"):
        return lambda ctx: ctx.dept_name
    if code == "WSH":
        if f.prefix == "CF":
            return lambda ctx: _doc_no(ctx, "罚")
        return lambda ctx: _doc_no(ctx, "许") if ctx.rng.random() < 0.9 else _licence(ctx).number
    if code == "XKWS":
        return lambda ctx: _licence(ctx).document
    if code == "XKLB":
        return lambda ctx: _licence(ctx).category
    if code == "XKZS":
        return lambda ctx: _licence(ctx).certificate or None
    if code == "XKBH":
        return lambda ctx: _licence(ctx).number
    if code == "NR":
        if f.prefix == "XK":
            return lambda ctx: _licence(ctx).content
        return lambda ctx: _penalty(ctx).content
    if code == "WFXW":
        return lambda ctx: _penalty(ctx).breached
    if code == "SY":
        return lambda ctx: _penalty(ctx).fact
    if code == "YJ":
        return lambda ctx: _penalty(ctx).basis
    if code == "NR_ZKDX":
        return lambda ctx: _penalty(ctx).licence or None
    return None


def _domain_text(f: _Field, months: int | None) -> Gen:
    """Free texts, document numbers and names of things, by label."""
    label = f.label
    # document and certificate numbers
    if f.has("文号", "文书号"):
        if f.has("处罚决定书"):
            return lambda ctx: (f"杭{_party(ctx, '_authority', _penalty_authority)[1]}罚"
                                f"〔{(ctx.decision - timedelta(days=200)).year}〕{ctx.seq}号")
        if f.has("执行依据"):
            return lambda ctx: (f"（{_before(ctx, '_filed', 30, 400).year - 1}）{_court_code(ctx)}"
                                f"{_pick(ctx.rng, ('民初', '民初', '民终', '商初'))}{_rint(ctx.rng, 100, 19999)}号")
        if f.has("表彰"):
            return lambda ctx: f"{_award_prefix(ctx)}〔{ctx.decision.year}〕{_rint(ctx.rng, 1, 160)}号"
        if f.has("确认"):
            return lambda ctx: f"杭见义勇为确字〔{ctx.decision.year}〕第{ctx.seq}号"
        kind = "异列" if f.has("列入决定书") else "失信列" if f.has("列入决定") else "处" if f.has("处理") else ""
        return lambda ctx: _doc_no(ctx, kind)
    if f.has("案号"):
        return lambda ctx: f"（{_before(ctx, '_filed', 30, 400).year}）{_court_code(ctx)}执{ctx.seq}号"
    if f.has("承诺书编号"):
        return lambda ctx: f"HZXYCN{ctx.decision.year}{ctx.seq:08d}"
    if f.has("公告编号"):
        return lambda ctx: (f"国家税务总局{_local(_district(ctx), '税务局')}"
                            f"{ctx.decision.year}年第{ctx.decision.month}期欠税公告")
    if f.has("学历证书"):
        return lambda ctx: (f"{10300 + zlib.crc32(str(ctx.memo.get('_school', '')).encode()) % 700}1"
                            f"{ctx.memo.get('_graduated', ctx.decision).year}{ctx.seq % 10**6:06d}")
    if f.has("律师执业证"):
        return lambda ctx: f"1{_district(ctx)[:4]}{ctx.decision.year}{_pick(ctx.rng, '12')}{ctx.seq % 10**7:07d}"
    if f.has("医师执业证书"):
        def physician_no(ctx: Context) -> str:
            category = _topic(ctx, "执业类别", _PRACTICES, _PRACTICE_CUM)
            return f"1{PRACTICE_CODES.get(category, '1')}0{_district(ctx)}{ctx.seq % 10**6:06d}"
        return physician_no
    if f.has("认证证书"):
        def cert_no(ctx: Context) -> str:
            kind = _topic(ctx, "认证类别", _CERT_KINDS, _CERT_CUM)
            year = ctx.decision.year
            if kind == "产品认证":
                return f"{year}0{_rint(ctx.rng, 10, 99)}{ctx.seq % 10**9:09d}"
            system = _pick(ctx.rng, "QQQES") if kind == "管理体系认证" else "SV"
            return f"{_rint(ctx.rng, 1, 999):03d}{year % 100:02d}{system}{ctx.seq % 10**5:05d}R0M"
        return cert_no
    if f.has("献血编号"):
        return lambda ctx: f"3301{ctx.decision.year}{ctx.seq:08d}"
    if f.has("票据号"):
        return lambda ctx: f"33{ctx.decision.year}{ctx.seq:010d}"
    if f.has("户号"):
        def account(ctx: Context) -> str:
            fee = _topic(ctx, "收费类别", _FEES, _FEE_CUM)
            prefix = {"电费": "33", "燃气费": "6"}.get(fee, "1")
            return f"{prefix}{ctx.seq % 10**8:08d}"
        return account
    if f.has("证书编号", "编号"):
        def certificate_no(ctx: Context) -> str:
            qualification = _qualification(ctx)
            prefix = qualification[3] if qualification else "ZS"
            return f"{prefix}{ctx.decision.year}{_district(ctx)[2:]}{ctx.seq % 10**7:07d}"
        return certificate_no
    # things obtained by fraud, certified objects
    if f.has("骗取的荣誉", "骗取对象名称"):
        def obtained(ctx: Context) -> str:
            kind = _topic(ctx, "骗取对象类别", _FRAUD_KINDS, _FRAUD_CUM)
            year = ctx.decision.year - _rint(ctx.rng, 1, 4)
            item = _pick(ctx.rng, FRAUD_ITEMS.get(kind, FRAUD_ITEMS["财政资助项目"]))
            return f"{year}年度{item}" if kind == "财政资助项目" else item
        return obtained
    if f.has("骗取手段", "手段"):
        return lambda ctx: FRAUD_MEANS.get(str(ctx.memo.get("骗取对象类别", "")), FRAUD_MEANS["财政资助项目"])
    if f.has("认证对象"):
        return lambda ctx: _certified(ctx)[0]
    if f.has("认证依据", "技术规范"):
        return lambda ctx: _certified(ctx)[1]
    # qualifications, education, employment
    if f.has("资格或职称名称", "资格名称", "职称名称"):
        return lambda ctx: (q[0] if (q := _qualification(ctx)) else None)
    if label == "等级" or f.has("技能等级", "职称等级"):
        return lambda ctx: (_pick(ctx.rng, q[1]) or None) if (q := _qualification(ctx)) else None
    if f.has("发证", "评审"):
        return lambda ctx: _pick(ctx.rng, q[2]) if (q := _qualification(ctx)) else ctx.dept_name
    if f.has("毕业院校", "学校"):
        def school(ctx: Context) -> str:
            level = str(ctx.memo.get("学历层次", "大学本科"))
            if level == "大学专科":
                name = _pick(ctx.rng, COLLEGES)
            elif level.startswith("高中"):
                name = _pick(ctx.rng, HIGH_SCHOOLS)
            elif level.startswith("初中"):
                name = _pick(ctx.rng, MIDDLE_SCHOOLS)
            else:
                name = _pick(ctx.rng, HANGZHOU_UNIVERSITIES if ctx.rng.random() < 0.6 else OTHER_UNIVERSITIES)
            ctx.memo["_school"] = name
            return name
        return school
    if label == "专业" or f.has("所学专业"):
        def major(ctx: Context) -> str | None:
            level = str(ctx.memo.get("学历层次", "大学本科"))
            if level.startswith(("高中", "初中")):
                return None
            return _pick(ctx.rng, COLLEGE_MAJORS if level == "大学专科" else MAJORS)
        return major
    if f.has("执业范围"):
        def practice_scope(ctx: Context) -> str:
            category = _topic(ctx, "执业类别", _PRACTICES, _PRACTICE_CUM)
            return _pick(ctx.rng, PRACTICE_SCOPES.get(category, ("内科专业",)))
        return practice_scope
    # adverse and trustworthy facts
    if f.has("违法行为", "违法事实", "认定事实") or label in ("事实",):
        return _fact
    if f.has("处理措施"):
        return lambda ctx: _pick(ctx.rng, ACADEMIC_SANCTIONS)
    if f.has("考试名称"):
        def exam(ctx: Context) -> str:
            level = _topic(ctx, "考试组织层级", _EXAM_LEVELS, _EXAM_CUM)
            return f"{_before(ctx, '_exam_date', 7, 60).year}年{_pick(ctx.rng, EXAMS.get(level, EXAMS['国家']))}"
        return exam
    if f.has("违规情形"):
        def violation(ctx: Context) -> str:
            row = _pick(ctx.rng, EXAM_VIOLATIONS)
            ctx.memo["_exam"] = row
            return row[0]
        return violation
    if f.has("处理结果"):
        return lambda ctx: str(ctx.memo.get("_exam", EXAM_VIOLATIONS[0])[1])
    if f.has("事件名称"):
        return _event_name
    if f.has("履职", "贡献"):
        def contribution(ctx: Context) -> str:
            kind = _topic(ctx, "事件类别", _EVENTS, _EVENT_CUM)
            text = EMERGENCY_CONTRIBUTIONS.get((kind, ctx.subject_kind == "natural_person"),
                                               EMERGENCY_CONTRIBUTIONS[("其他突发事件", True)])
            return text.format(n=_rint(ctx.rng, 3, 160), m=_rint(ctx.rng, 1, 50))
        return contribution
    if f.has("见义勇为事迹", "事迹"):
        return lambda ctx: "当事人" + _pick(ctx.rng, BRAVERY_DEEDS)
    if f.has("表彰奖励") and not f.has("名称"):
        def honour(ctx: Context) -> str | None:
            if ctx.rng.random() < 0.4:
                return None
            return _pick(ctx.rng, BRAVERY_HONOURS)
        return honour
    if f.has("表彰奖励或荣誉称号名称", "荣誉称号名称", "奖项名称"):
        def award_name(ctx: Context) -> str:
            _party(ctx, "授予单位", _award)
            return f"{ctx.decision.year - 1}年度{ctx.memo['_award'][0]}"
        return award_name
    if f.has("承诺事项"):
        def matter(ctx: Context) -> str:
            kind = _topic(ctx, "承诺类型", _COMMITMENT_TYPES, _COMMITMENT_CUM)
            orgs, persons, _breach = COMMITMENTS.get(kind, COMMITMENTS["审批替代型"])
            return _pick(ctx.rng, persons if ctx.subject_kind == "natural_person" else orgs)
        return matter
    if f.has("违背承诺"):
        def breach(ctx: Context) -> str:
            kind = _topic(ctx, "承诺类型", _COMMITMENT_TYPES, _COMMITMENT_CUM)
            deadline = _commitment_dates(ctx)[1]
            committed = _commitment_dates(ctx)[0]
            return (f"申请人于{committed.year}年{committed.month}月{committed.day}日作出信用承诺，承诺履行期限至"
                    f"{deadline.year}年{deadline.month}月{deadline.day}日。经核查，"
                    f"{COMMITMENTS.get(kind, COMMITMENTS['审批替代型'])[2]}")
        return breach
    if f.has("名单名称"):
        return lambda ctx: _serious_list(ctx)[0]
    if f.has("列入事由"):
        return lambda ctx: _serious_list(ctx)[1].format(n=_rint(ctx.rng, 2, 300))
    if f.has("列入经营异常名录原因", "列入原因"):
        def anomaly(ctx: Context) -> str:
            row = _pick(ctx.rng, ANOMALIES)
            ctx.memo["_anomaly"] = row
            return row[0]
        return anomaly
    if f.has("移出原因"):
        return lambda ctx: str(ctx.memo.get("_anomaly", ANOMALIES[0])[1]) if ctx.memo.get("_removed") else None
    if f.has("义务"):
        def obligation(ctx: Context) -> str:
            creditor = _company(ctx)[0] if ctx.rng.random() < 0.7 else _person_name(ctx.rng)
            due = _pick(ctx.rng, OBLIGATIONS).format(amount=_round_fine(ctx.rng, 5000, 3000000))
            return f"{ctx.subject_name}于判决生效之日起十日内向{creditor}支付{due}"
        return obligation
    if f.has("履行情况"):
        return lambda ctx: "全部未履行" if ctx.rng.random() < 0.8 else "部分未履行"
    if f.has("失信被执行人行为", "失信行为"):
        return lambda ctx: _pick(ctx.rng, DISHONEST_CONDUCTS)
    if f.has("税种"):
        return lambda ctx: _pick(ctx.rng, TAX_TYPES_PERSON if ctx.subject_kind == "natural_person" else TAX_TYPES_ORG)
    if f.has("欠税所属期", "所属期间"):
        def period(ctx: Context) -> str:
            end = date(ctx.decision.year, ((ctx.decision.month - 1) // 3) * 3 + 1, 1) - timedelta(days=1)
            start = add_months(end.replace(day=1), -2)
            return f"{start.isoformat()}至{end.isoformat()}"
        return period
    if f.has("备注", "说明") or f.code == "BZ":
        return lambda ctx: _pick(ctx.rng, ("延续", "变更", "补发")) if ctx.rng.random() < 0.05 else None
    # fallbacks for fields of unknown meaning: clipped here, whatever the limit
    limit = int(f.max_length or 100_000)
    if f.has("名称"):
        return lambda ctx: _company(ctx)[0][:limit]
    if f.has("内容", "情况", "情形", "理由", "原因", "依据"):
        return lambda ctx: (f"{ctx.entry_name}：{ctx.dept_name}于{ctx.decision.year}年{ctx.decision.month}月"
                            f"作出认定")[:limit]
    return lambda ctx: f"{ctx.entry_name[:20]}（{_abbr(ctx)}{ctx.decision.year}-{ctx.seq}）"[:limit]


def _fact(ctx: Context) -> str:
    memo = ctx.memo
    for key in ("行为类别", "骗取方式", "违法行为类别"):
        kind = memo.get(key)
        if kind in ACADEMIC_FACTS:
            return ACADEMIC_FACTS[kind]
        if kind in CONDUCT_FACTS:
            text = CONDUCT_FACTS[kind]
            mode = memo.get("交通方式")
            if mode is not None:
                times = f"，共{_rint(ctx.rng, 2, 12)}次" if kind == "逃票" else ""
                return f"经查，当事人乘坐{mode}时{text}{times}，经查证属实"
            return text
    return f"经查，当事人存在{ctx.entry_name}所列违法违规行为，经调查核实属实"


def _event_name(ctx: Context) -> str:
    kind = _topic(ctx, "事件类别", _EVENTS, _EVENT_CUM)
    year = ctx.decision.year
    if kind == "疫情防控":
        return f"{year}年{'新冠肺炎' if year <= 2022 else '传染病'}疫情防控工作"
    if kind == "抢险救灾":
        return f"{year}年防汛防台抗旱工作"
    if kind == "事故救援":
        return f"{year}年{DISTRICT_NAMES[_district(ctx)]}{_pick(ctx.rng, ('火灾', '道路交通', '建筑施工坍塌'))}事故救援"
    return "杭州第19届亚运会城市运行保障" if year == 2023 else f"{year}年低温雨雪冰冻天气应对"


def _certified(ctx: Context) -> tuple[str, str]:
    found = ctx.memo.get("_certified")
    if found is None:
        kind = _topic(ctx, "认证类别", _CERT_KINDS, _CERT_CUM)
        found = ctx.memo["_certified"] = _pick(ctx.rng, CERT_OBJECTS.get(kind, CERT_OBJECTS["管理体系认证"]))
    return found


def _award_prefix(ctx: Context) -> str:
    _party(ctx, "授予单位", _award)
    return str(ctx.memo["_award"][1])


def _qualification(ctx: Context) -> tuple[str, tuple[str, ...], tuple[str, ...], str] | None:
    found = ctx.memo.get("_qualification")
    if found is None:
        kind = ctx.memo.get("类别")
        rows = QUALIFICATIONS.get(str(kind)) if kind else None
        if rows is None:
            return None
        found = ctx.memo["_qualification"] = _pick(ctx.rng, rows)
    return found


def _serious_list(ctx: Context) -> tuple[str, str, bool]:
    found = ctx.memo.get("_list")
    if found is None:
        person = ctx.subject_kind == "natural_person"
        found = ctx.memo["_list"] = _pick(ctx.rng, [row for row in SERIOUS_LISTS if row[2] == person])
    return found


_PRACTICES = tuple(PRACTICE_SCOPES)
_PRACTICE_CUM = _cum_weights(_PRACTICES)
_CERT_KINDS = tuple(CERT_OBJECTS)
_CERT_CUM = _cum_weights(_CERT_KINDS)
_FRAUD_KINDS = tuple(FRAUD_ITEMS)
_FRAUD_CUM = _cum_weights(_FRAUD_KINDS)
_EXAM_LEVELS = tuple(EXAMS)
_EXAM_CUM = _cum_weights(_EXAM_LEVELS)
_EVENTS = ("疫情防控", "抢险救灾", "事故救援", "其他突发事件")
_EVENT_CUM = _cum_weights(_EVENTS)
_COMMITMENT_TYPES = tuple(COMMITMENTS)
_COMMITMENT_CUM = _cum_weights(_COMMITMENT_TYPES)

_COMPILERS: dict[str, Callable[[_Field, int | None], Gen]] = {
    "enum": _compile_enum,
    "resident_id": _compile_resident_id,
    "uscc": _compile_uscc,
    "date": _compile_date,
    "decimal": _compile_decimal,
    "integer": _compile_integer,
    "boolean": _compile_boolean,
    "string": _compile_text,
    "text": _compile_text,
}

# ------------------------------------------------------------------------------------------------
# Validation of generated values
# ------------------------------------------------------------------------------------------------

_MASKED_ID = re.compile(r"^[0-9]{6}\*{8}[0-9]{3}[0-9X]$|^[0-9]{6}\*{6}[0-9]{3}$")


def _clear_resident_id(text: str) -> str | None:
    """The first valid resident ID number written in clear in ``text``, if any."""
    for match in RESIDENT_ID_PATTERN.finditer(text):
        try:
            validate_resident_id(match.group(), today=date(2100, 1, 1))
        except CodeError:
            continue
        return match.group()
    return None


def validate_generated(spec: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` does not fit the field ``spec`` (a catalog field spec), or None if it does.

    Checks the type and the spec's own constraints: ``max_length``, ``allowed``, ``max_digits`` /
    ``decimal_places``, ``special_values``, ISO dates. ID numbers (``resident_id`` fields and any
    text) must never be a resident ID in clear: ``resident_id`` values must be masked. Whether a
    missing value is allowed (``required`` / ``required_if``) depends on the whole record and is
    the caller's business; None is accepted here.
    """
    if value is None:
        return None
    ftype = str(spec.get("type", "string"))
    if ftype in ("string", "text"):
        if not isinstance(value, str):
            return f"应为文本，实际为 {type(value).__name__}"
        if not value.strip():
            return "不能为空白"
        limit = spec.get("max_length")
        if limit is not None and len(value) > int(limit):
            return f"长度 {len(value)} 超过 {limit}"
        if _clear_resident_id(value):
            return "含有未脱敏的身份证号码"
        return None
    if ftype == "enum":
        allowed = [str(a) for a in spec.get("allowed") or ()]
        return None if value in allowed else f"{value!r} 不在取值 {allowed} 中"
    if ftype == "date":
        if not isinstance(value, str) or len(value) != 10:
            return f"应为 YYYY-MM-DD 日期，实际为 {value!r}"
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"不是有效日期：{value!r}"
        return None
    if ftype == "decimal":
        if isinstance(value, bool) or not isinstance(value, str | int):
            return f"应为十进制数的文本，实际为 {type(value).__name__}"
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return f"不是数字：{value!r}"
        if not number.is_finite():
            return f"不是有限数：{value!r}"
        sign, digits, exponent = number.as_tuple()
        places = max(0, -int(exponent))
        whole = max(0, len(digits) + int(exponent))
        if spec.get("decimal_places") is not None and places > int(spec["decimal_places"]):
            return f"小数位 {places} 超过 {spec['decimal_places']}"
        if spec.get("max_digits") is not None and whole + places > int(spec["max_digits"]):
            return f"位数 {whole + places} 超过 {spec['max_digits']}"
        return "不能为负数" if sign else None
    if ftype == "integer":
        return None if isinstance(value, int) and not isinstance(value, bool) else f"应为整数，实际为 {value!r}"
    if ftype == "boolean":
        return None if isinstance(value, bool) else f"应为 true/false，实际为 {value!r}"
    if ftype == "uscc":
        if not isinstance(value, str):
            return f"应为文本，实际为 {type(value).__name__}"
        if value in (spec.get("special_values") or ()):
            return None
        try:
            validate_uscc(value)
        except CodeError as exc:
            return exc.message
        return None
    if ftype == "resident_id":
        if not isinstance(value, str) or not _MASKED_ID.match(value):
            return "身份证号码应以脱敏形式出现（如 330106********123X）"
        return None
    return f"未知的字段类型 {ftype}"
