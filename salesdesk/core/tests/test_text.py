from salesdesk.core.text import name_match_key, normalize_company_name, pinyin_keys, to_halfwidth


def test_pinyin_initials_and_full():
    assert pinyin_keys("深圳华为") == ("SZHW", "shenzhenhuawei")
    assert pinyin_keys("重庆") == ("CQ", "chongqing")


def test_fullwidth_to_ascii():
    assert to_halfwidth("ＡＢＣ１２３（）") == "ABC123()"


def test_company_name_keeps_fullwidth_brackets_and_match_key_unifies_them():
    assert normalize_company_name(" 华为技术(深圳)有限公司 ") == "华为技术（深圳）有限公司"
    assert name_match_key("华为技术（深圳）有限公司") == name_match_key("华为技术 (深圳)有限公司")
    assert name_match_key("甲有限责任公司") != name_match_key("甲有限公司")
