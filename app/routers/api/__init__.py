from fastapi import APIRouter

from app.routers.api import auth, member_import, members, org

router = APIRouter(prefix="/api/v1")
router.include_router(auth.router)
router.include_router(org.router)
router.include_router(members.router)
router.include_router(member_import.router)
