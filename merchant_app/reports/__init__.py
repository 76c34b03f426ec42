"""Reports for officials: the adoption briefing (HTML/PDF with charts) and its tabular exports."""
