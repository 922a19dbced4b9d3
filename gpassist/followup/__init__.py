"""Chronic-disease follow-up: hypertension and type-2 diabetes (基本公共卫生服务规范, 2017)."""
