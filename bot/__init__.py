"""tinhhinh: structured "nắm tình hình" reporting for Vietnamese trade unions."""
